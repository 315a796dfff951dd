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
  // A list's filters fold too, unless some are set (the reader then sees what filters the list).
  document.querySelectorAll(".filter-fold:not([data-keep-open])").forEach((fold) => fold.removeAttribute("open"));
}
// Pickers (交办: 主办单位, 协办单位): a filter box over a long list of units. Without JavaScript the
// checkboxes and the grouped select work alone; the box only narrows what is shown, never what is sent.
const matches = (text, words) => text.replace(/\s+/g, "").includes(words);
document.querySelectorAll("[data-picker]").forEach((picker) => {
  const box = picker.querySelector(".picker-filter");
  const count = document.createElement("span");
  count.className = "picker-count muted small";
  box.after(count);
  const update = () => {
    const chosen = picker.querySelectorAll("input[type=checkbox]:checked").length;
    count.textContent = chosen ? `已选 ${chosen} 个` : "";
  };
  box.hidden = false;
  box.addEventListener("input", () => {
    const words = box.value.replace(/\s+/g, "");
    picker.querySelectorAll("fieldset").forEach((group) => {
      let shown = 0;
      group.querySelectorAll("label").forEach((label) => {
        label.hidden = Boolean(words) && !matches(label.textContent, words);
        shown += label.hidden ? 0 : 1;
      });
      group.hidden = shown === 0;
    });
  });
  picker.addEventListener("change", update);
  update();
});
document.querySelectorAll("select[data-filterable]").forEach((select) => {
  const box = document.createElement("input");
  box.type = "search";
  box.className = "picker-filter";
  box.placeholder = select.dataset.filterable;
  box.setAttribute("aria-label", select.dataset.filterable);
  select.before(box);
  box.addEventListener("input", () => {
    const words = box.value.replace(/\s+/g, "");
    let first = null;
    select.querySelectorAll("option").forEach((option) => {
      option.hidden = Boolean(words) && Boolean(option.value) && !matches(option.textContent, words);
      if (!option.hidden && option.value && first === null) {
        first = option;
      }
    });
    select.querySelectorAll("optgroup").forEach((group) => {
      group.hidden = [...group.children].every((option) => option.hidden);
    });
    const current = select.selectedOptions[0];
    if (words && first && (!current || current.hidden || !current.value)) {
      select.value = first.value;  // typing a name picks the first unit that matches
    }
  });
});
// The deadline a form will get, as it is filled in (data-deadline-url): computed by the server from the
// office's calendar and time limits, never counted here.
document.querySelectorAll("[data-deadline-url]").forEach((output) => {
  const form = output.closest("form");
  const refresh = async () => {
    const params = new URLSearchParams();
    for (const name of (output.dataset.deadlineFields || "").split(" ")) {
      const input = form.elements.namedItem(name);
      if (input) {
        params.set(name, input.value);
      }
    }
    try {
      const response = await fetch(`${output.dataset.deadlineUrl}?${params}`, {headers: {Accept: "application/json"}});
      const answer = await response.json();
      output.textContent = answer.text;
    } catch (error) {
      // keep what the server rendered
    }
  };
  form.addEventListener("change", (event) => {
    if ((output.dataset.deadlineFields || "").split(" ").includes(event.target.name)) {
      refresh();
    }
  });
});
