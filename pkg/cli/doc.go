// Package cli is the command plumbing every binary of the toolkit shares:
// the IO streams, the exit codes and the errors that choose them, the
// signals that stop a run, and the wiring of a cobra command.
package cli
