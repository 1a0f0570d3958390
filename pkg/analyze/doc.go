// Package analyze reads a gathered bundle (ours, or any in the layout of
// `oc adm must-gather`) as an fs.FS and reports what is wrong in it: the
// findings, as text, as analysis.json and on the overview page index.html.
package analyze
