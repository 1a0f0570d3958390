// Command kubectl-must_gather is the must-gather client: it runs
// must-gather images in a cluster and copies their result back. By its
// name it is also a kubectl plugin (`kubectl must-gather`).
package main

import (
	"os"

	"github.com/must-gather/toolkit/pkg/cli"
	"github.com/must-gather/toolkit/pkg/mustgather"
)

func main() {
	os.Exit(cli.Main(mustgather.Run, os.Args[1:]))
}
