// Command gather is the entry point of a must-gather image (/usr/bin/gather).
package main

import (
	"os"

	"github.com/must-gather/toolkit/pkg/app"
	"github.com/must-gather/toolkit/pkg/cli"
)

func main() {
	os.Exit(cli.Main(app.Run, app.Args(os.Args[0], os.Args[1:])))
}
