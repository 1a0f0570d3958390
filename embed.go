// Package toolkit holds what the repository root ships inside the binaries:
// the default gather.d steps.
package toolkit

import "embed"

// GatherD is this repository's gather.d folder, used when neither
// --gather-dir, $GATHER_DIR nor the image's installed folder is there.
//
//go:embed gather.d
var GatherD embed.FS
