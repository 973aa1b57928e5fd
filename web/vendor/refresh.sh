#!/usr/bin/env bash
# refresh.sh - copy the ES module builds of Preact, its hooks, htm and uPlot
# (with uPlot's stylesheet) from node_modules (npm ci at the repository root, versions pinned in
# package.json / package-lock.json) into web/vendor/, where the build embeds
# them into the binary. Run after changing those versions; commit the result.
#
# The copies are rewritten in two small ways only: the hooks import Preact by
# relative path (a browser without an import map, and the console's CSP allows
# no inline import map) and source-map comments are dropped (no maps are served).
set -euo pipefail
cd "$(dirname "$0")/../.."
nm=node_modules
[ -d "$nm/preact" ] && [ -d "$nm/htm" ] && [ -d "$nm/uplot" ] || { echo "run npm ci first" >&2; exit 1; }
v() { node -p "require('./$nm/$1/package.json').version"; }
out=web/vendor
pv=$(v preact) hv=$(v htm) uv=$(v uplot)
copy() { # src dst header
  { echo "$3"; sed -e 's#from"preact"#from"./preact.module.js"#g' \
                  -e 's#from "preact"#from "./preact.module.js"#g' \
                  -e '/^\/\/# sourceMappingURL=/d' "$1"; } >"$2"
}
copy "$nm/preact/dist/preact.module.js" "$out/preact.module.js" "/* preact $pv (MIT, see LICENSE.preact): preact/dist/preact.module.js */"
copy "$nm/preact/hooks/dist/hooks.module.js" "$out/hooks.module.js" "/* preact $pv (MIT, see LICENSE.preact): preact/hooks/dist/hooks.module.js */"
copy "$nm/htm/dist/htm.module.js" "$out/htm.module.js" "/* htm $hv (Apache-2.0, see LICENSE.htm): htm/dist/htm.module.js */"
copy "$nm/uplot/dist/uPlot.esm.js" "$out/uPlot.esm.js" "/* uplot $uv (MIT, see LICENSE.uplot): uplot/dist/uPlot.esm.js */"
{ echo "/* uplot $uv (MIT, see LICENSE.uplot): uplot/dist/uPlot.min.css */"; cat "$nm/uplot/dist/uPlot.min.css"; echo; } >"$out/uPlot.min.css"
cp "$nm/preact/LICENSE" "$out/LICENSE.preact"
cp "$nm/htm/LICENSE" "$out/LICENSE.htm"
cp "$nm/uplot/LICENSE" "$out/LICENSE.uplot"
echo "web/vendor: preact $pv, htm $hv, uplot $uv"
