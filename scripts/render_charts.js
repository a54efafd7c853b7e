#!/usr/bin/env node
// Renders the Vega-Lite chart specs of a `timesim report` HTML file to SVG files, with the
// same vendored Vega bundles the report inlines (third_party/vega): one chart stack.
//   node scripts/render_charts.js REPORT.html OUTDIR     writes OUTDIR/<figure id>.svg
'use strict';
const fs = require('fs');
const path = require('path');
const vm = require('vm');

const vendor = path.join(__dirname, '..', 'third_party', 'vega');
for (const f of ['vega.min.js', 'vega-lite.min.js'])  // browser bundles: they set globals
  vm.runInThisContext(fs.readFileSync(path.join(vendor, f), 'utf8'), {filename: f});
const vega = globalThis.vega, vegaLite = globalThis.vegaLite;

async function main() {
  const [html, out] = process.argv.slice(2);
  const text = fs.readFileSync(html, 'utf8');
  const re = /<script type="application\/json" class="chart-spec" data-view="([^"]+)-view">([\s\S]*?)<\/script>/g;
  let m, n = 0;
  while ((m = re.exec(text)) !== null) {
    const spec = JSON.parse(m[2]);
    const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), {renderer: 'none'});
    fs.writeFileSync(path.join(out, m[1] + '.svg'), await view.toSVG());
    view.finalize();
    ++n;
  }
  if (n === 0) throw new Error(`no chart specs in ${html}`);
}

main().catch((e) => { console.error(`render_charts.js: ${e.message || e}`); process.exit(1); });
