// Citation previews, offline: hovering or focusing a footnote mark shows the note in place,
// so a reader need not jump to the bottom of the page. Screen readers get it as a description.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("a.footnote-reference").forEach((link, index) => {
    const note = document.getElementById(decodeURIComponent(link.hash.slice(1)));
    if (!note) return;
    const preview = document.createElement("span");
    preview.className = "bb-preview";
    preview.id = `bb-preview-${index}`;
    preview.setAttribute("role", "tooltip");
    preview.textContent = Array.from(note.querySelectorAll("p"), (p) => p.textContent.trim()).join(" ");
    const wrapper = document.createElement("span");
    wrapper.className = "bb-cite";
    link.replaceWith(wrapper);
    wrapper.append(link, preview);
    link.setAttribute("aria-describedby", preview.id);
  });
});
