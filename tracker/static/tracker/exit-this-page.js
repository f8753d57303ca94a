/*
 * "Exit this page", after the GOV.UK Design System pattern.
 *
 * Without JavaScript the button is a plain link to a neutral site. With it:
 * - pressing the button, or Shift three times within five seconds, hides the page at once and
 *   leaves with location.replace(), so this page is not left in the browser's history;
 * - coming back to this site with Back or Forward after leaving (in the same tab) leaves again.
 *
 * Loaded from the head (the strict Content-Security-Policy allows no inline script), so a page
 * reached with Back is hidden before it is drawn.
 */
(function () {
  "use strict";

  var EXITED_KEY = "exit-this-page:left";
  var SHIFT_PRESSES = 3;
  var SHIFT_WINDOW_MS = 5000;
  var root = document.documentElement;

  root.classList.add("js-enabled");

  function remember(value) {
    try {
      if (value) {
        window.sessionStorage.setItem(EXITED_KEY, "1");
      } else {
        window.sessionStorage.removeItem(EXITED_KEY);
      }
    } catch (error) {
      /* Storage may be switched off; leaving still works. */
    }
  }

  function leftBefore() {
    try {
      return window.sessionStorage.getItem(EXITED_KEY) === "1";
    } catch (error) {
      return false;
    }
  }

  function exitUrl() {
    var link = document.querySelector("[data-exit-this-page]");
    return link ? link.href : null;
  }

  function leave(url) {
    if (!url) {
      return;
    }
    remember(true);
    root.classList.add("exit-this-page--leaving");
    document.title = "Loading";
    window.location.replace(url);
  }

  function cameBackByHistory(persisted) {
    if (persisted) {
      return true;
    }
    var entries = window.performance && window.performance.getEntriesByType
      ? window.performance.getEntriesByType("navigation")
      : [];
    return entries.length > 0 && entries[0].type === "back_forward";
  }

  // Arriving here with Back or Forward after leaving: hide at once, and leave again once the
  // page (with the exit link's address) is there. Any other arrival starts afresh.
  function onArrival(persisted) {
    if (!leftBefore()) {
      return;
    }
    if (cameBackByHistory(persisted)) {
      root.classList.add("exit-this-page--leaving");
      var url = exitUrl();
      if (url) {
        leave(url);
      } else {
        document.addEventListener("DOMContentLoaded", function () { leave(exitUrl()); });
      }
    } else {
      remember(false);
    }
  }

  onArrival(false);
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      onArrival(true);
    }
  });

  var presses = 0;
  var timer = null;

  function resetPresses() {
    presses = 0;
    if (timer) {
      window.clearTimeout(timer);
      timer = null;
    }
  }

  document.addEventListener("keyup", function (event) {
    if (event.key !== "Shift") {
      resetPresses();
      return;
    }
    presses += 1;
    if (!timer) {
      timer = window.setTimeout(resetPresses, SHIFT_WINDOW_MS);
    }
    if (presses >= SHIFT_PRESSES) {
      resetPresses();
      leave(exitUrl());
    }
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("[data-exit-this-page]") : null;
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) {
      return;
    }
    event.preventDefault();
    leave(link.href);
  });
})();
