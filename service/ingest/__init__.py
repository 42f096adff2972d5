"""Getting articles into Precis: reading record files and extracting stories from HTML pages."""
