// The language picker: a link in the top bar to the same chapter in the other language.
// The English book is at the root of the site, and each translation in a folder of its own
// (`zh-CN/`); `cargo xtask book build` builds them so. Keep this list in step with
// TRANSLATIONS in xtask/src/translation.rs.
(() => {
    const languages = [
        { code: 'en', name: 'English', folder: '' },
        { code: 'zh-CN', name: '中文', folder: 'zh-CN/' },
    ];
    const here = languages.find((l) => l.code === document.documentElement.lang) || languages[0];

    // mdBook sets `path_to_root` on every page: "" on the start page, "../" one folder down.
    // So the page's own path is the last 1 + (number of "../") parts of the address.
    const depth = (path_to_root.match(/\.\.\//g) || []).length;
    const parts = window.location.pathname.split('/');
    const page = parts.slice(parts.length - depth - 1).join('/') || 'index.html';
    // From this page to the root of the English book.
    const englishRoot = path_to_root + (here.folder ? '../' : '');

    const bar = document.querySelector('.right-buttons');
    if (!bar) return;
    for (const other of languages.filter((l) => l !== here)) {
        const link = document.createElement('a');
        link.id = 'language-picker';
        link.className = 'language-picker';
        link.href = englishRoot + other.folder + page;
        link.lang = other.code;
        link.hreflang = other.code;
        link.textContent = other.name;
        link.title = other.code === 'en' ? 'Read this page in English' : '用中文阅读这一页';
        bar.prepend(link);
        // `mdbook serve book` serves the English book alone: there, a link to a translation
        // that is not served would only lead to "not found", so it goes away. (From a file,
        // the browser cannot ask, and the link stays.)
        if (window.location.protocol.startsWith('http')) {
            fetch(link.href, { method: 'HEAD' })
                .then((answer) => { if (!answer.ok) link.remove(); })
                .catch(() => link.remove());
        }
    }
})();
