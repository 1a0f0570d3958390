// Package output is the one sink every collector writes through. It owns
// the destination directory: paths (relative, never escaping it), atomic
// writes (temporary file, then rename), directory and file modes, optional
// gzip, the count of files and bytes per step, and the disk guard. Collectors
// never write files themselves.
package output
