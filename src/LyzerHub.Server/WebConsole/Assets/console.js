// Lyzer Hub console: the only script, loaded from the hub itself (the CSP allows no inline script).
// Copy buttons: <button data-copy="element-id"> copies that element's value or text.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  if (!source) return;
  const text = "value" in source ? source.value : source.textContent;
  try {
    await navigator.clipboard.writeText(text.trim());
    button.textContent = "Copied";
  } catch {
    // Clipboard access can be refused (permissions, older browsers): select the text so Ctrl+C works.
    if ("select" in source) source.select();
    button.textContent = "Press Ctrl+C";
  }
  setTimeout(() => { button.textContent = "Copy"; }, 2000);
});
