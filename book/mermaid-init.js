// Draws the book's diagrams with mermaid (book/mermaid.min.js, mermaid 11.6.0, from
// mdbook-mermaid 0.17.1's `install`; the versions are pinned in xtask/src/tools.rs).
//
// A diagram is a ```mermaid block in a chapter. With the mdbook-mermaid preprocessor
// installed, mdBook turns it into <pre class="mermaid">. Without it (a student who installed
// only mdBook), it stays a plain code block, <pre><code class="language-mermaid">: this script
// turns those into <pre class="mermaid"> too, so every reader gets the pictures.
(() => {
    for (const code of document.querySelectorAll('code.language-mermaid')) {
        const pre = document.createElement('pre');
        pre.className = 'mermaid';
        // textContent is the diagram's text as written (without mdBook's buttons).
        pre.textContent = code.textContent;
        code.closest('pre').replaceWith(pre);
    }

    // Dark pictures for mdBook's dark themes.
    const darkThemes = ['coal', 'navy', 'ayu'];
    const lightThemes = ['light', 'rust'];
    const classes = document.documentElement.classList;
    const dark = darkThemes.some((theme) => classes.contains(theme));
    // Long notes wrap, so that a diagram keeps a size a reader can read.
    mermaid.initialize({
        startOnLoad: false,
        theme: dark ? 'dark' : 'default',
        sequence: { wrap: true, width: 180, noteMargin: 8 },
    });

    // A diagram with a mistake is drawn as an error picture; `cargo xtask book check` finds
    // it. Say which diagram on the console too.
    mermaid.run({ querySelector: 'pre.mermaid' }).catch((err) => {
        console.error('mermaid: a diagram could not be drawn:', err && err.message ? err.message : err);
    });

    // mermaid draws once, so after a switch between a light and a dark theme, reload the page.
    const reloadIf = (themes, whenDark) => {
        for (const theme of themes) {
            const button = document.getElementById('mdbook-theme-' + theme);
            if (button) {
                button.addEventListener('click', () => {
                    if (dark === whenDark) {
                        window.location.reload();
                    }
                });
            }
        }
    };
    reloadIf(darkThemes, false);
    reloadIf(lightThemes, true);
})();
