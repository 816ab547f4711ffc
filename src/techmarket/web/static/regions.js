// Region selects (province → city → district): choosing a level fills the next one with
// its divisions from /regions/{code}, so no round trip of the whole form is needed.
// Without this script the form still works: sending it refreshes the lower lists.
"use strict";

for (const set of document.querySelectorAll("[data-regions]")) {
  const selects = [...set.querySelectorAll("select")];
  for (const button of set.form?.querySelectorAll("[data-refine]") ?? []) button.hidden = true;
  selects.forEach((select, level) => {
    const below = selects.slice(level + 1);
    select.addEventListener("change", async () => {
      for (const lower of below) {
        lower.length = 1; // keep only the blank option: "choose the level above first"
        lower.options[0].text = lower.dataset.none;
      }
      const next = below[0];
      if (!next || !select.value) return;
      const response = await fetch(`/regions/${encodeURIComponent(select.value)}`);
      if (!response.ok) return;
      const { children } = await response.json();
      next.options[0].text = next.dataset.all; // now: "all of the level above"
      for (const [code, name] of children) next.add(new Option(name, code));
    });
  });
}
