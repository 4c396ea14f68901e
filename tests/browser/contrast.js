// The contrast ratio of an element's text against the first opaque background behind it (WCAG's formula).
// Colours in any CSS syntax (rgb(), color(srgb ...), color-mix results) are read back through a 1 px canvas.
(el) => {
  const ctx = document.createElement("canvas").getContext("2d");
  const rgba = (c) => {
    ctx.clearRect(0, 0, 1, 1);
    ctx.fillStyle = "#fff";
    ctx.fillStyle = c;
    ctx.fillRect(0, 0, 1, 1);
    return Array.from(ctx.getImageData(0, 0, 1, 1).data);
  };
  const opaque = (c) => c !== "transparent" && !/rgba\(.*,\s*0(\.\d+)?\)$/.test(c) && !/\/\s*0(\.\d+)?\)$/.test(c);
  let node = el;
  let paper = "rgb(255, 255, 255)";
  while (node && node.nodeType === 1) {
    const background = getComputedStyle(node).backgroundColor;
    if (opaque(background)) {
      paper = background;
      break;
    }
    node = node.parentElement;
  }
  const luminance = (c) => {
    const [r, g, b] = rgba(c)
      .slice(0, 3)
      .map((v) => {
        v /= 255;
        return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
      });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [low, high] = [luminance(getComputedStyle(el).color), luminance(paper)].sort((a, b) => a - b);
  return (high + 0.05) / (low + 0.05);
}
