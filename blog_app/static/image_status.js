// The article page, while its picture is being resized: ask the blog how the thumbnail job is
// doing (GET /images/ID/status, JSON) every second, say it in the placeholder, and show the
// picture once it is made. A failed job's reason is shown to the article's author.
(function () {
  "use strict";
  const placeholder = document.querySelector("[data-image-status]");
  if (!placeholder) return;
  const url = placeholder.dataset.imageStatus;
  const words = {
    waiting: "The picture is waiting for a worker to resize it.",
    running: "A worker is resizing the picture.",
    retrying: "Resizing the picture failed; it will be tried again.",
    failed: "The picture could not be resized.",
  };

  function show(progress) {
    if (progress.state === "done" && progress.src) {
      const picture = document.createElement("img");
      picture.className = "hero";
      picture.alt = "";
      picture.src = progress.src;
      placeholder.replaceWith(picture);
      return true;
    }
    let text = words[progress.state] || "The picture is being resized.";
    if (progress.error) text += " " + progress.error;
    placeholder.textContent = text;  // text, never markup: the error comes from the job
    placeholder.dataset.state = progress.state;
    return progress.state === "failed" || progress.state === "done";
  }

  async function follow() {
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      if (response.ok && show(await response.json())) return;
    } catch (error) {
      // The blog did not answer this time (restarting?): ask again in a moment.
    }
    setTimeout(follow, 1000);
  }

  follow();
})();
