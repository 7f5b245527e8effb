#!/bin/bash
# Which code blocks and diagrams of the built book are wider than the page at 1280 px?
# Meant to become part of `cargo xtask book check` (its Chromium step); until then:
#   mdbook build book && book/check-overflow.sh [book/book/html]
# For each chapter it writes a copy next to it with a small script at the end, lets
# headless Chromium draw it 1280 px wide (after mermaid drew the diagrams), and reads the
# script's report back from the page (--dump-dom). Exit 1 if anything overflows.
set -u
html=${1:-book/book/html}
profile=$(mktemp -d)
trap 'rm -rf "$profile"; find "$html" -name "*.overflow-check.html" -delete' EXIT
cat > "$profile/probe.js" <<'JS'
window.addEventListener("load", () => setTimeout(() => {
  const found = [];
  // A listing overflows when its code is wider than the box that shows it.
  for (const code of document.querySelectorAll("pre > code")) {
    const over = code.scrollWidth - code.clientWidth;
    if (over > 1) {
      const first = code.textContent.split("\n").find(l => l.trim()) || "";
      found.push(`listing ${over}px too wide: ${first.trim().slice(0, 60)}`);
    }
  }
  // A diagram or table overflows when it is wider than the page content.
  const main = document.querySelector("main");
  for (const el of document.querySelectorAll("main svg, main table")) {
    const over = el.getBoundingClientRect().width - main.clientWidth;
    if (over > 1) found.push(`${el.tagName.toLowerCase()} ${Math.round(over)}px too wide`);
  }
  const out = document.createElement("pre");
  out.id = "overflow-report";
  out.textContent = found.join(" | ");
  document.body.appendChild(out);
}, 3000));
JS
status=0
while IFS= read -r page; do
    copy="${page%.html}.overflow-check.html"
    sed "s#</body>#<script src=\"file://$profile/probe.js\"></script></body>#" "$page" > "$copy"
    report=$(timeout 60 chromium --headless --no-sandbox --disable-gpu --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$profile" --window-size=1280,800 --virtual-time-budget=10000 \
        --dump-dom "file://$(realpath "$copy")" 2>/dev/null |
        grep -o '<pre id="overflow-report">[^<]*' | sed 's/^<pre id="overflow-report">//')
    if [ -n "$report" ]; then
        status=1
        echo "${page#"$html"/}:"
        echo "  ${report// | /$'\n'  }"
    fi
done < <(find "$html" -name '*.html' ! -name '*.overflow-check.html' ! -name print.html \
    ! -name toc.html ! -name 404.html | sort)
exit $status
