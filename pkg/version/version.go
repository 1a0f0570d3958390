// Package version holds the identity of this build: the product name, its
// version, the git commit and the default image reference. All of them are
// set once, at link time, by the Makefile's ldflags.
package version

import (
	"fmt"
	"io"
	"regexp"
	"strings"
)

// Set by -ldflags "-X github.com/must-gather/toolkit/pkg/version.<name>=<value>".
// A plain `go build` or `go test` leaves these defaults, which still satisfy
// the version grammar.
var (
	productName  = "must-gather-toolkit"
	gitVersion   = "0.0.0-unknown"
	gitCommit    = "unknown"
	defaultImage = ""
)

// Info is the identity of this build.
type Info struct {
	// Product is the product name, line 1 of the version file.
	Product string `json:"product"`
	// Version is major.minor.micro or major.minor.micro-qualifier, line 2 of
	// the version file.
	Version string `json:"version"`
	// GitCommit is the commit the binary was built from.
	GitCommit string `json:"gitCommit"`
	// Image is the image reference this build belongs to; debug pods default
	// to it.
	Image string `json:"image,omitempty"`
}

// Get returns the identity of the running binary.
func Get() Info {
	return Info{Product: productName, Version: gitVersion, GitCommit: gitCommit, Image: defaultImage}
}

// versionRE is the grammar of the version line: major.minor.micro with an
// optional -qualifier made of dot-separated alphanumerics.
var versionRE = regexp.MustCompile(`^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$`)

// Validate reports whether the identity can be written as a version file.
func (i Info) Validate() error {
	if i.Product == "" {
		return fmt.Errorf("empty product name")
	}
	if strings.ContainsAny(i.Product, "\r\n") {
		return fmt.Errorf("product name %q is not one line", i.Product)
	}
	if !versionRE.MatchString(i.Version) {
		return fmt.Errorf("version %q is not major.minor.micro[-qualifier]", i.Version)
	}
	return nil
}

// WriteVersionFile writes the two lines of a must-gather version file: the
// product name, then the version.
func (i Info) WriteVersionFile(w io.Writer) error {
	if err := i.Validate(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%s\n%s\n", i.Product, i.Version)
	return err
}

// Environment variables an image built on ours sets (ENV lines in its
// Dockerfile) to name its own product in the version file.
const (
	EnvProduct = "MUST_GATHER_PRODUCT"
	EnvVersion = "MUST_GATHER_VERSION"
)

// Product is the identity a run's version file names: this build's, or the
// product that $MUST_GATHER_PRODUCT and $MUST_GATHER_VERSION name (both or
// neither; the version in the grammar of the version file).
func Product(getenv func(string) string) (Info, error) {
	i := Get()
	p, v := getenv(EnvProduct), getenv(EnvVersion)
	if p == "" && v == "" {
		return i, nil
	}
	if p == "" || v == "" {
		return i, fmt.Errorf("$%s and $%s name a product together: set both (an image's Dockerfile sets them with ENV)", EnvProduct, EnvVersion)
	}
	i.Product, i.Version = p, v
	if err := i.Validate(); err != nil {
		return i, fmt.Errorf("$%s and $%s: %w", EnvProduct, EnvVersion, err)
	}
	return i, nil
}
