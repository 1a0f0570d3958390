// Package bundle is a gathered result as one thing to hand over and to
// read back: it writes a folder as a .tar.gz archive, or as numbered parts
// of a size limit that each open on their own (Write), and opens a folder,
// an archive or the first of its parts as a read-only fs.FS (Open).
package bundle
