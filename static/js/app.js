// Progressive enhancement only: every page works without JavaScript.
// Irreversible steps ask once (data-confirm); data-confirm-if="name=value" asks only for that choice.
document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-confirm]");
  if (!form) {
    return;
  }
  const only = form.dataset.confirmIf;
  if (only) {
    const [name, value] = only.split("=");
    if (new FormData(form).get(name) !== value) {
      return;
    }
  }
  if (!window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});
// 打印 buttons (e.g. a 廉政档案): the page's print layout hides the navigation.
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
// On a phone the menu starts folded under 菜单 (one row instead of four); the current page is named beside it.
if (window.matchMedia("(max-width: 820px)").matches) {
  const toggle = document.querySelector(".sidenav .nav-toggle");
  if (toggle) {
    toggle.removeAttribute("open");
  }
}
