// Package browser opens a page in headless Chromium (Debian's chromium,
// driven through the DevTools protocol) and reports its text, how long it
// took to render and every network request it made: the check and the
// benchmark of the overview page index.html. It is its own module so the
// product's go.mod does not depend on chromedp.
package browser
