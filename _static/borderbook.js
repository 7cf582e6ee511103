// The book's own behaviour in the browser, offline and without any library:
//  1. the ☰ (book contents) and "Contents" (page sections) buttons work at every width;
//  2. a number's provenance and a citation's note show in place, in a popover that is a real
//     element (read by screen readers as the link's description), stays inside the window,
//     closes with Escape and, on a touch screen, opens on the first tap;
//  3. the register row a number links to says so, and links back to the text;
//  4. figures fit the column and open enlarged by click, tap, Enter or Space;
//  5. a link to a code cell (#cell-N, from a number's popover or a figure's caption) opens the
//     cell's collapsed code, brings it into view and puts the focus on it.
"use strict";

(() => {
  const ready = (run) => (document.readyState === "loading"
    ? document.addEventListener("DOMContentLoaded", run) : run());

  // 1. Sidebar drawers. pydata-sphinx-theme 0.17.1 and sphinx-book-theme 1.3.0 bind their
  // handlers to the first ".primary-toggle" / ".secondary-toggle" of the page. With the theme's
  // default `navbar_persistent` (a search field), pydata's header is drawn, hidden, with toggles
  // of its own that come first, and the visible buttons do nothing; _config.yml empties it. Should
  // hidden toggles come back, the visible ones pass their click on to the first. The drawer is
  // the theme's modal <dialog> (focus moves into it; Escape or a tap outside closes it); this
  // names it and adds a close button.
  const DRAWERS = {
    primary: {label: "Book contents", close: "Close the book contents"},
    secondary: {label: "Page contents", close: "Close the page contents"},
  };

  function repairDrawers() {
    for (const [kind, words] of Object.entries(DRAWERS)) {
      const toggles = Array.from(document.querySelectorAll(`.${kind}-toggle`));
      const bound = toggles[0];
      const dialog = document.getElementById(`pst-${kind}-sidebar-modal`);
      if (!bound || !dialog) continue;
      dialog.setAttribute("aria-label", words.label);
      const close = document.createElement("button");
      close.type = "button";
      close.className = "bb-drawer-close";
      close.setAttribute("aria-label", words.close);
      close.textContent = "×";
      close.addEventListener("click", () => dialog.close());
      // The theme moves the sidebar's content into the dialog, and back on "close".
      dialog.addEventListener("close", () => {
        close.remove();
        setTimeout(() => { if (opener && opener.offsetParent) opener.focus(); }, 0);
      });
      let opener = null;   // focus goes back to it: sphinx-book-theme blurs it on click
      toggles.forEach((toggle) => {
        toggle.addEventListener("click", () => { opener = toggle; }, true);
        if (toggle !== bound) {
          toggle.addEventListener("click", (event) => {
            event.preventDefault();
            event.stopImmediatePropagation();
            bound.click();
            if (dialog.open && !dialog.contains(close)) dialog.prepend(close);
          }, true);
        }
      });
      bound.addEventListener("click", () => {
        if (dialog.open && !dialog.contains(close)) dialog.prepend(close);
      });
    }
  }

  // 2. Popovers. One is open at a time; it is fixed to the window, so no scroll box (a table's
  // wrapper) cuts it, and it is placed below its trigger (above, if there is no room), moved left
  // so that it ends inside the window, and never wider than the window.
  let open = null;   // {trigger, popover}
  let hideTimer = null;
  let touched = false;

  function place(trigger, popover) {
    const margin = 8;
    const gap = 4;
    const box = trigger.getBoundingClientRect();
    const width = document.documentElement.clientWidth;
    const height = window.innerHeight;
    popover.style.maxWidth = `${Math.min(448, width - 2 * margin)}px`;
    popover.style.maxHeight = "";
    popover.style.left = "0px";
    popover.style.top = "0px";
    let own = popover.getBoundingClientRect();
    const below = height - box.bottom - gap - margin;
    const above = box.top - gap - margin;
    let top;
    if (own.height <= below) {
      top = box.bottom + gap;
    } else if (own.height <= above) {
      top = box.top - gap - own.height;
    } else {   // taller than the room on either side: it scrolls, on the roomier side
      const room = Math.max(below, above, 96);
      popover.style.maxHeight = `${room}px`;
      own = popover.getBoundingClientRect();
      top = below >= above ? box.bottom + gap : box.top - gap - own.height;
    }
    top = Math.max(margin, Math.min(top, height - own.height - margin));
    const left = Math.max(margin, Math.min(box.left, width - own.width - margin));
    popover.style.left = `${left}px`;
    popover.style.top = `${top}px`;
  }

  function show(trigger, popover) {
    clearTimeout(hideTimer);
    if (open && open.popover !== popover) hide();
    popover.hidden = false;
    place(trigger, popover);
    open = {trigger, popover};
    // focus() may scroll the trigger into view after this: place it again once that is done
    requestAnimationFrame(() => { if (open && open.popover === popover) place(trigger, popover); });
  }

  function hide() {
    clearTimeout(hideTimer);
    if (!open) return;
    open.popover.hidden = true;
    open = null;
  }

  function hideSoon() {
    clearTimeout(hideTimer);
    hideTimer = setTimeout(hide, 300);
  }

  // A trigger (a number's link, a footnote mark) and its popover. Mouse: shows on hover, and
  // stays while the pointer is on the popover. Keyboard: shows on focus. Touch: the first tap
  // shows it in place, a second tap (or the popover's link) follows the link.
  function attach(trigger, popover) {
    popover.hidden = true;
    trigger.addEventListener("mouseenter", () => { if (!touched) show(trigger, popover); });
    trigger.addEventListener("mouseleave", hideSoon);
    popover.addEventListener("mouseenter", () => clearTimeout(hideTimer));
    popover.addEventListener("mouseleave", hideSoon);
    trigger.addEventListener("focus", () => show(trigger, popover));
    trigger.addEventListener("blur", (event) => {
      if (!popover.contains(event.relatedTarget)) hideSoon();
    });
    popover.addEventListener("focusout", (event) => {
      if (event.relatedTarget !== trigger && !popover.contains(event.relatedTarget)) hideSoon();
    });
    trigger.addEventListener("pointerdown", (event) => { touched = event.pointerType !== "mouse"; });
    trigger.addEventListener("click", (event) => {
      if (!touched) return;
      touched = false;
      if (open && open.popover === popover && trigger.dataset.bbTapped === "1") return;   // follow
      event.preventDefault();
      trigger.dataset.bbTapped = "1";
      show(trigger, popover);
    });
  }

  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && open) {
      const {trigger, popover} = open;
      if (popover.contains(document.activeElement)) trigger.focus({preventScroll: true});
      hide();
    }
  });
  document.addEventListener("pointerdown", (event) => {
    if (open && !open.popover.contains(event.target) && !open.trigger.contains(event.target)) {
      delete open.trigger.dataset.bbTapped;
      hide();
    }
  });
  window.addEventListener("scroll", () => { if (open) place(open.trigger, open.popover); },
    {capture: true, passive: true});
  window.addEventListener("resize", () => { if (open) place(open.trigger, open.popover); });

  function popoverFor(trigger, id, className) {
    const popover = document.createElement("span");
    popover.className = `bb-popover ${className}`;
    popover.id = id;
    const text = document.createElement("span");
    text.className = "bb-popover-text";
    text.id = `${id}-text`;
    popover.append(text);
    trigger.after(popover);
    trigger.setAttribute("aria-describedby", text.id);
    return {popover, text};
  }

  // A number's provenance: the formula, its inputs and its sources ("a · b · c" in
  // data-provenance), one to a line, and a link to its row in the register of numbers.
  function numberPopovers() {
    document.querySelectorAll("a.bb-number[data-provenance]").forEach((link, index) => {
      const name = link.dataset.number || String(index);
      // Where the register's row links back to: the number's first use on the page.
      if (!link.id && !document.getElementById(`bb-use-${name}`)) link.id = `bb-use-${name}`;
      const {popover, text} = popoverFor(link, `bb-provenance-${index}`, "bb-provenance");
      link.dataset.provenance.split(" · ").forEach((part) => {
        const line = document.createElement("span");
        line.className = "bb-popover-line";
        line.textContent = part;
        text.append(line, " ");
      });
      const more = document.createElement("a");
      more.className = "bb-popover-more";
      more.href = link.getAttribute("href");
      more.textContent = "Its row in the register of numbers";
      more.tabIndex = -1;   // a keyboard follows the number's own link (Enter), one stop each
      popover.append(more);
      if (link.dataset.code) {   // the cell that computed it, when the markup says where
        const code = document.createElement("a");
        code.className = "bb-popover-more";
        code.href = link.dataset.code;
        code.textContent = "The code that computed it";
        code.tabIndex = -1;
        popover.append(" · ", code);
      }
      const remember = () => {
        try {
          const here = link.id || `bb-use-${name}`;
          sessionStorage.setItem(`bb-back-${name}`, `${location.pathname}#${here}`);
        } catch (error) { /* storage refused: the row just has no way back */ }
      };
      link.addEventListener("click", remember);
      more.addEventListener("click", remember);
      attach(link, popover);
    });
  }

  // A footnote mark's note (the full citation), described to screen readers.
  function notePopovers() {
    document.querySelectorAll("a.footnote-reference").forEach((link, index) => {
      const note = document.getElementById(decodeURIComponent(link.hash.slice(1)));
      if (!note) return;
      const {popover, text} = popoverFor(link, `bb-preview-${index}`, "bb-preview");
      popover.setAttribute("role", "tooltip");
      text.textContent = Array.from(note.querySelectorAll("p"), (p) => p.textContent.trim()).join(" ");
      attach(link, popover);
    });
  }

  // 3. In the register: the row a number's link lands on is highlighted (class bb-target) and
  // gets a link back to the place in the text the reader came from.
  function markRow() {
    document.querySelectorAll("tr.bb-target").forEach((row) => row.classList.remove("bb-target"));
    const id = decodeURIComponent(location.hash.slice(1));
    const anchor = id.startsWith("number-") && document.getElementById(id);
    const row = anchor && anchor.closest("tr");
    if (row) row.classList.add("bb-target");
  }

  function backLink() {
    markRow();
    const id = decodeURIComponent(location.hash.slice(1));
    if (!id.startsWith("number-")) return;
    const anchor = document.getElementById(id);
    if (!anchor) return;
    let back = null;
    try {
      back = sessionStorage.getItem(`bb-back-${id.slice("number-".length)}`);
    } catch (error) { /* no storage */ }
    if (!back && document.referrer) {
      const from = new URL(document.referrer);
      if (from.origin === location.origin && from.pathname !== location.pathname) {
        back = `${from.pathname}#bb-use-${id.slice("number-".length)}`;
      }
    }
    if (!back) return;
    const link = document.createElement("a");
    link.className = "bb-back";
    link.href = back;
    link.textContent = "↩ back to the text";
    const cell = anchor.matches("tr") ? anchor.cells[0]
      : anchor.closest("td, th, dd, li, p") || anchor.parentElement;
    cell.append(" ", link);
  }

  // 4. Figures: shown at the column's width; a button around each image opens it enlarged in
  // a modal dialog (Escape, the close button or a click closes it, focus returns).
  function figures() {
    document.querySelectorAll("figure img").forEach((image) => {
      const figure = image.closest("figure");
      const number = figure.querySelector(".caption-number");
      const label = number ? number.textContent.trim() : "Figure";
      const button = document.createElement("button");
      button.type = "button";
      button.className = "bb-enlarge";
      button.setAttribute("aria-haspopup", "dialog");
      image.replaceWith(button);
      const hint = document.createElement("span");
      hint.className = "bb-enlarge-hint";
      hint.textContent = `Enlarge ${label.toLowerCase()}`;
      button.append(image, hint);
      button.addEventListener("click", () => enlarge(image, label, button));
    });
  }

  function enlarge(image, label, opener) {
    const dialog = document.createElement("dialog");
    dialog.className = "bb-lightbox";
    dialog.setAttribute("aria-label", `${label}, enlarged`);
    const close = document.createElement("button");
    close.type = "button";
    close.className = "bb-lightbox-close";
    close.textContent = "× Close";
    const big = image.cloneNode();
    big.removeAttribute("width");
    big.removeAttribute("height");
    big.removeAttribute("style");
    dialog.append(close, big);
    document.body.append(dialog);
    close.addEventListener("click", () => dialog.close());
    dialog.addEventListener("click", (event) => { if (event.target === dialog) dialog.close(); });
    dialog.addEventListener("close", () => { dialog.remove(); opener.focus(); });
    dialog.showModal();
    close.focus();
  }

  // 5. Code cells are collapsed ("Show the code"): the one a link points to opens.
  function revealCell(id) {
    if (!/^cell-\d+$/.test(id)) return;
    const cell = document.getElementById(id);
    if (!cell) return;
    cell.querySelectorAll("details").forEach((details) => { details.open = true; });
    const summary = cell.querySelector("summary");
    if (summary) summary.focus({preventScroll: true});
    cell.scrollIntoView({block: "start", behavior: "instant"});   // no smooth scroll: land at once
  }

  function codeCells() {
    // The theme labels every prompt "Toggle hidden content"; its visible words say more.
    document.querySelectorAll("details.hide > summary[aria-label]").forEach((summary) => {
      summary.removeAttribute("aria-label");
    });
    document.addEventListener("click", (event) => {
      const link = event.target.closest && event.target.closest('a[href^="#cell-"]');
      if (link) {
        event.preventDefault();
        const id = link.getAttribute("href").slice(1);
        history.pushState(null, "", `#${id}`);
        revealCell(id);
      }
    });
    window.addEventListener("hashchange", () => revealCell(decodeURIComponent(location.hash.slice(1))));
    revealCell(decodeURIComponent(location.hash.slice(1)));
  }

  ready(() => {
    repairDrawers();
    numberPopovers();
    notePopovers();
    backLink();
    figures();
    window.addEventListener("hashchange", markRow);
    codeCells();
  });
})();
