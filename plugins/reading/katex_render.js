// Render a batch of TeX formulas with KaTeX, once per site build (plugins/reading/mathrender.py).
// Usage: node katex_render.js path/to/katex.min.js  < [{"tex": "...", "display": true}, ...]
// Prints [{"html": "..."} or {"error": "..."}, ...] in the same order.
"use strict";
const katex = require(require("path").resolve(process.argv[2]));
let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", chunk => { input += chunk; });
process.stdin.on("end", () => {
  const results = JSON.parse(input).map(({ tex, display }) => {
    try {
      return { html: katex.renderToString(tex, { displayMode: display, throwOnError: true, output: "htmlAndMathml" }) };
    } catch (error) {
      return { error: String(error && error.message || error) };
    }
  });
  process.stdout.write(JSON.stringify(results));
});
