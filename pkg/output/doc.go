// Package output is the one sink every collector writes through. The Sink
// owns the rules: paths (relative, never escaping the destination), atomic
// writes (nothing visible before Close), directory and file modes, optional
// gzip, the count of files and bytes per step, the disk guard, the size
// limits (the tail kept of each container log, the run's byte budget and
// the record of every cut), and redaction (package redact): the object
// rules for every object written, the line rules for every other file,
// logs and the run log included. A Store only keeps the bytes: the disk
// (New), or memory in tests (package outputtest), so no choice of Store
// bypasses a rule. Collectors never write files themselves.
package output
