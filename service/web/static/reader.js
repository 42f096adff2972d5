// The article page's AI features: summaries and answers from the /v1 API, highlighted in the article body.
// Everything from the server is inserted with textContent, never as HTML.
"use strict";

(() => {
  const panel = document.getElementById("ai-panel");
  const body = document.getElementById("article-body");
  if (!panel || !body) return;

  const articleId = panel.dataset.articleId;
  const summariseButton = document.getElementById("summarise");
  const summaryResult = document.getElementById("summary-result");
  const askForm = document.getElementById("ask-form");
  const askButton = document.getElementById("ask");
  const question = document.getElementById("question");
  const answerResult = document.getElementById("answer-result");
  // A spinner only for requests slower than this, so a stored summary appears without a flash.
  const LOADING_DELAY_MS = 150;

  // The API's offsets count Unicode code points in the stored text; each paragraph carries the offset of its
  // first character (data-start). Lengths are measured once, before any <mark> is added.
  const paragraphs = [...body.querySelectorAll("p[data-start]")].map((element) => ({
    element,
    start: Number(element.dataset.start),
    length: [...element.textContent].length,
  }));

  panel.hidden = false;
  document.getElementById("needs-script")?.remove();

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // JavaScript strings count UTF-16 units: an emoji is one code point but two units.
  function utf16Index(text, codePoints) {
    let index = 0;
    let counted = 0;
    for (const character of text) {
      if (counted === codePoints) break;
      index += character.length;
      counted += 1;
    }
    return index;
  }

  // Wraps [from, to) of the paragraph's text (UTF-16 units) in <mark>s, one per text node it touches,
  // so a range can run through an earlier mark.
  function wrap(paragraph, from, to, className) {
    const walker = document.createTreeWalker(paragraph, NodeFilter.SHOW_TEXT);
    const pieces = [];
    let position = 0;
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const start = Math.max(from, position);
      const end = Math.min(to, position + node.data.length);
      if (start < end) pieces.push([node, start - position, end - position]);
      position += node.data.length;
    }
    return pieces.map(([node, start, end]) => {
      const range = document.createRange();
      range.setStart(node, start);
      range.setEnd(node, end);
      const mark = element("mark", className);
      range.surroundContents(mark);
      return mark;
    });
  }

  function highlight(start, end, className) {
    const marks = [];
    for (const paragraph of paragraphs) {
      const from = Math.max(start, paragraph.start);
      const to = Math.min(end, paragraph.start + paragraph.length);
      if (from >= to) continue;
      const text = paragraph.element.textContent;
      marks.push(
        ...wrap(
          paragraph.element,
          utf16Index(text, from - paragraph.start),
          utf16Index(text, to - paragraph.start),
          className,
        ),
      );
    }
    return marks;
  }

  function clearHighlights() {
    for (const mark of body.querySelectorAll("mark")) mark.replaceWith(...mark.childNodes);
    body.normalize();
  }

  function reveal(marks) {
    if (marks.length === 0) return;
    const reduceMotion = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    marks[0].scrollIntoView({ block: "center", behavior: reduceMotion ? "auto" : "smooth" });
  }

  async function callApi(path, options) {
    let response;
    try {
      response = await fetch(path, { headers: { Accept: "application/json" }, ...options });
    } catch {
      throw new Error("the server could not be reached.");
    }
    let data = null;
    try {
      data = await response.json();
    } catch {
      // Not JSON (a proxy's error page, say): described by its status below.
    }
    if (!response.ok || data === null) {
      throw new Error(data?.error?.message ?? `the server answered ${response.status} ${response.statusText}.`);
    }
    return data;
  }

  // Runs one request with the button marked busy and, if it is slow, a visible loading message. aria-disabled
  // rather than disabled: a disabled button loses keyboard focus.
  async function withLoading(button, result, message, request) {
    button.setAttribute("aria-disabled", "true");
    result.setAttribute("aria-busy", "true");
    const timer = setTimeout(() => {
      const loading = element("p", "loading");
      loading.append(element("span", "spinner"), element("span", "", message));
      result.replaceChildren(loading);
    }, LOADING_DELAY_MS);
    try {
      return await request();
    } finally {
      clearTimeout(timer);
      button.removeAttribute("aria-disabled");
      result.removeAttribute("aria-busy");
    }
  }

  function showError(result, prefix, error) {
    result.replaceChildren(element("p", "error", `${prefix}: ${error.message}`));
  }

  function timing(data) {
    const how = data.cached ? "From the store" : "Computed";
    return element("p", "meta", `${how} in ${Math.round(data.elapsed_ms)} ms · ${data.model}`);
  }

  // One sentence of a summary or briefing shown in `result`: a button that highlights it in the article, or plain
  // text when it is not in this article (a generated sentence, a briefing's sentence from another article).
  function summarySentence(sentence, result, inArticle = sentence.start !== null) {
    const item = element("li");
    if (!inArticle) {
      item.append(element("span", "sentence", sentence.text));
      return item;
    }
    const button = element("button", "sentence", sentence.text);
    button.type = "button";
    button.title = "Show in the article";
    button.addEventListener("click", () => {
      for (const other of result.querySelectorAll("button[aria-current]")) other.removeAttribute("aria-current");
      button.setAttribute("aria-current", "true");
      clearHighlights();
      reveal(highlight(sentence.start, sentence.end, "hit"));
    });
    item.append(button);
    return item;
  }

  function showSummary(data) {
    if (data.sentences.length === 0) {
      summaryResult.replaceChildren(element("p", "no-answer", "This article is too short to summarise."));
      return;
    }
    const list = element(data.style === "bullets" ? "ul" : "ol", `summary ${data.style}`);
    list.append(...data.sentences.map((sentence) => summarySentence(sentence, summaryResult)));
    const hint = element("p", "hint", "Select a sentence to see it in the article.");
    summaryResult.replaceChildren(list, hint, timing(data));
  }

  function showAnswer(asked, data) {
    clearHighlights();
    const parts = [element("p", "asked", asked)];
    if (data.reason === "not_sure" && data.candidate) {
      // Never in bold as a fact: the verifier is not sure of this span, so it is offered as what the passage may
      // say, the passage shown beside it.
      const sure = Math.round(data.candidate.confidence * 100);
      const note = element("p", "not-sure");
      note.append(element("strong", "", "Not sure"), ` — the article may say: “${data.candidate.text}” (${sure}% sure)`);
      parts.push(note);
      const marks = highlight(data.context_start, data.context_end, "passage");
      parts.push(passageButton(data.context, data.context_start, data.candidate.start, data.candidate.end, "mark.passage"));
      parts.push(timing(data));
      answerResult.replaceChildren(...parts);
      answerResult.scrollIntoView({ block: "nearest" });
      reveal(marks);
      return;
    }
    if (data.answer === null) {
      parts.push(element("p", "no-answer", "This article doesn't say."));
      answerResult.replaceChildren(...parts);
      return;
    }
    parts.push(element("p", "answer-text", data.answer));
    if (data.confidence !== null && data.confidence !== undefined) {
      parts.push(element("p", "confidence", `${Math.round(data.confidence * 100)}% sure`));
    }
    const marks = highlight(data.context_start, data.context_end, "passage");
    marks.push(...highlight(data.start, data.end, "answer"));
    // The passage once, with the answer in bold inside it; when the answer is the whole passage, not at all.
    if (data.context && data.context.trim() !== data.answer.trim()) {
      parts.push(passageButton(data.context, data.context_start, data.start, data.end, "mark.answer", "strong"));
    }
    parts.push(timing(data));
    answerResult.replaceChildren(...parts);
    // Beside the story the panel scrolls on its own: bring the answer into it, then the passage into the page.
    answerResult.scrollIntoView({ block: "nearest" });
    reveal(marks.filter((mark) => mark.classList.contains("answer")));
  }

  // The passage as a button that shows it in the article; the span inside it set apart by `tag` (bold for an
  // answer, only underlined for a candidate the verifier is not sure of).
  function passageButton(context, contextStart, start, end, target, tag = "u") {
    const points = Array.from(context); // API offsets count code points, as Python does
    const from = start - contextStart;
    const to = end - contextStart;
    const show = element("button", "sentence passage-link");
    show.append(points.slice(0, from).join(""), element(tag, "", points.slice(from, to).join("")), points.slice(to).join(""));
    show.type = "button";
    show.title = "Show in the article";
    show.addEventListener("click", () => reveal(body.querySelectorAll(target)));
    return show;
  }

  const isBusy = (button) => button.getAttribute("aria-disabled") === "true";

  // "Brief me on this story": one summary across this article and its related ones, newest first, each article's
  // sentences under a link to it.
  const briefing = document.getElementById("briefing");
  const briefButton = document.getElementById("brief");
  const briefingResult = document.getElementById("briefing-result");
  const longDate = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });

  function briefingSource(article) {
    const line = element("p", "briefing-source");
    const link = element("a", "", article.title);
    link.href = `/articles/${article.id}`;
    if (String(article.id) === articleId) link.setAttribute("aria-current", "page");
    line.append(link);
    const published = article.published_at ? longDate.format(new Date(article.published_at)) : null;
    const about = [article.source, published].filter(Boolean).join(" · ");
    if (about) line.append(element("span", "about", about));
    return line;
  }

  function showBriefing(data) {
    if (data.sentences.length === 0) {
      briefingResult.replaceChildren(element("p", "no-answer", "These articles are too short to brief on."));
      return;
    }
    const articles = new Map(data.articles.map((article) => [article.id, article]));
    const parts = [];
    let list = null;
    for (const [index, sentence] of data.sentences.entries()) {
      if (index === 0 || sentence.article_id !== data.sentences[index - 1].article_id) {
        list = element(data.style === "bullets" ? "ul" : "ol", `summary ${data.style}`);
        parts.push(briefingSource(articles.get(sentence.article_id)), list);
      }
      list.append(summarySentence(sentence, briefingResult, String(sentence.article_id) === articleId));
    }
    parts.push(timing(data));
    briefingResult.replaceChildren(...parts);
  }

  if (briefing && briefButton && briefingResult) {
    briefing.hidden = false;
    briefButton.addEventListener("click", async () => {
      if (isBusy(briefButton)) return;
      const ids = briefing.dataset.articleIds.split(" ").map(Number);
      const request = () =>
        callApi("/v1/briefings", {
          method: "POST",
          headers: { Accept: "application/json", "Content-Type": "application/json" },
          body: JSON.stringify({ article_ids: ids, preset: briefing.dataset.preset }),
        });
      try {
        showBriefing(await withLoading(briefButton, briefingResult, "Reading the articles…", request));
      } catch (error) {
        showError(briefingResult, "Briefings are unavailable right now", error);
      }
    });
  }

  summariseButton.addEventListener("click", async () => {
    if (isBusy(summariseButton)) return;
    const preset = panel.querySelector('input[name="preset"]:checked')?.value ?? "medium";
    const path = `/v1/articles/${articleId}/summary?preset=${encodeURIComponent(preset)}`;
    try {
      const data = await withLoading(summariseButton, summaryResult, "Summarising…", () => callApi(path));
      showSummary(data);
    } catch (error) {
      showError(summaryResult, "Summaries are unavailable right now", error);
    }
  });

  askForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (isBusy(askButton)) return;
    const asked = question.value.trim();
    if (!asked) {
      answerResult.replaceChildren(element("p", "error", "Type a question first."));
      question.focus();
      return;
    }
    const request = () =>
      callApi(`/v1/articles/${articleId}/answers`, {
        method: "POST",
        headers: { Accept: "application/json", "Content-Type": "application/json" },
        body: JSON.stringify({ question: asked }),
      });
    try {
      showAnswer(asked, await withLoading(askButton, answerResult, "Looking in the article…", request));
    } catch (error) {
      showError(answerResult, "Answers are unavailable right now", error);
    }
  });
})();
