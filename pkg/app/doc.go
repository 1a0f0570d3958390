// Package app is the gather command: its flags, subcommands and exit codes.
// cmd/gather only wires it to the process.
package app
