package app

import (
	"errors"
	"fmt"
)

// Exit codes of gather, documented in the README and in --help.
const (
	ExitOK      = 0 // every step succeeded
	ExitFatal   = 1 // nothing could be gathered (for example no usable cluster access)
	ExitUsage   = 2 // bad flags or arguments
	ExitPartial = 3 // data written, but some steps failed or timed out
)

// usageError marks an error in the command line.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// PartialError reports a run that wrote data but in which some work failed.
type PartialError struct{ Err error }

func (e PartialError) Error() string { return e.Err.Error() }
func (e PartialError) Unwrap() error { return e.Err }

// ExitCode maps the error returned by Run to the process exit code.
func ExitCode(err error) int {
	var u usageError
	var p PartialError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &u):
		return ExitUsage
	case errors.As(err, &p):
		return ExitPartial
	default:
		return ExitFatal
	}
}
