// Package agentstream is the node agent's stream format, its writer (the
// node agent, on the node) and its reader (the node collectors).
//
// A stream is a tar stream: the listing first (ListingName), then each
// file as consecutive entries of its EntryName, numbered from 0 by
// RecordPart, the last one marked RecordLast, each with at most ChunkSize
// bytes of the file, as a complete gzip member (concatenated, they are one
// valid gzip file of the whole; a file gzipped on the node is sent
// decompressed and redacted, in members like any other: Members); and last
// the end mark (EndName). So the agent needs no disk (the node's may be full) and
// little memory, and a reader keeping whole members keeps a valid start of
// a file when the stream breaks, and sees a break between entries by the
// missing end mark.
package agentstream
