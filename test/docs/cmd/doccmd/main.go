// Command doccmd prints the one command of a document's ```sh blocks that
// starts with PREFIX (see docs.Find), so a script runs the text the docs
// show:
//
//	eval "$(go run ./test/docs/cmd/doccmd docs/image.md 'make image')"
//
// FILE is relative to the repository root, which is the working directory.
package main

import (
	"fmt"
	"os"

	"github.com/must-gather/toolkit/test/docs"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "doccmd:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) != 2 {
		return fmt.Errorf("usage: doccmd FILE PREFIX")
	}
	c, err := docs.Find(".", args[0], args[1])
	if err != nil {
		return err
	}
	_, err = fmt.Println(c.Text)
	return err
}
