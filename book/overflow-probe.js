// Only for `cargo xtask book check`, which builds the book with this script added (readers'
// builds leave it out): at 1280 px, is any code listing wider than its box, or any diagram
// or table wider than the page? The report goes into the page, where the check reads it.
window.addEventListener("load", () => setTimeout(() => {
    const found = [];
    for (const code of document.querySelectorAll("pre > code")) {
        const over = code.scrollWidth - code.clientWidth;
        if (over > 1) {
            const first = code.textContent.split("\n").find((line) => line.trim()) || "";
            found.push(`a listing is ${over} px too wide: ${first.trim().slice(0, 60)}`);
        }
    }
    const main = document.querySelector("main");
    for (const element of document.querySelectorAll("main svg, main table")) {
        const over = Math.round(element.getBoundingClientRect().width - main.clientWidth);
        if (over > 1) found.push(`a ${element.tagName.toLowerCase()} is ${over} px too wide`);
    }
    const report = document.createElement("pre");
    report.id = "overflow-report";
    report.textContent = found.join("\n");
    document.body.appendChild(report);
}, 3000));
