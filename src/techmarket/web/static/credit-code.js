// The unified social credit code (统一社会信用代码) checked as it is typed, by the same
// GB 32100-2015 rules as accounts/credit_code.py (the server's check is the one that counts).
"use strict";

const ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"; // 31 characters: no I, O, S, V, Z
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

function checkCharacter(first17) {
  let total = 0;
  for (let i = 0; i < 17; i++) total += ALPHABET.indexOf(first17[i]) * WEIGHTS[i];
  return ALPHABET[(31 - (total % 31)) % 31];
}

// What is wrong with the code, in Chinese, or "" if it is valid.
function problem(code) {
  if (code.length !== 18) return `应为 18 位，现为 ${code.length} 位。`;
  const bad = [...new Set([...code].filter((c) => !ALPHABET.includes(c)))];
  if (bad.length) return `含有不允许的字符：${bad.join("")}（不使用 I、O、S、V、Z）。`;
  if (!/^[0-9]{6}$/.test(code.slice(2, 8))) return "第 3–8 位应为行政区划代码。";
  const expected = checkCharacter(code.slice(0, 17));
  if (code[17] !== expected) return `校验码不符：末位应为 ${expected}，而不是 ${code[17]}。`;
  return "";
}

for (const input of document.querySelectorAll("[data-credit-code]")) {
  const id = `${input.id}-error`;
  let message = document.getElementById(id);
  if (!message) {
    message = document.createElement("p");
    message.id = id;
    message.className = "error";
    input.closest(".field").append(message);
  }
  message.setAttribute("aria-live", "polite");
  const show = (complete) => {
    const code = input.value.trim().toUpperCase();
    // While typing, wait for all 18 characters before saying the code is wrong.
    const text = code && (complete || code.length >= 18) ? problem(code) : "";
    message.textContent = text;
    message.hidden = !text;
    input.closest(".field").classList.toggle("invalid", Boolean(text));
    const described = new Set((input.getAttribute("aria-describedby") || "").split(" "));
    described.delete("");
    if (text) {
      described.add(id);
      input.setAttribute("aria-invalid", "true");
    } else {
      described.delete(id);
      input.removeAttribute("aria-invalid");
    }
    input.setAttribute("aria-describedby", [...described].join(" "));
  };
  input.addEventListener("input", () => show(false));
  input.addEventListener("change", () => show(true));
  if (input.value) show(true);
}
