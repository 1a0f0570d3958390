package mustgather

import (
	"io/fs"
	"path/filepath"
	"regexp"
)

// Paths of the result, as `oc adm must-gather` lays it out.
const (
	clientLogFile = "must-gather.logs" // the client's own log, in the destination
	gatherLogFile = "gather.logs"      // a gather container's log, in its image's folder
	timestampFile = "timestamp"        // start and end of the run, in the destination
)

var nonAlphanumeric = regexp.MustCompile(`[^A-Za-z0-9]+`)

// ImageFolder is the folder of an image's result: the image ID of its
// gather container with every run of non-alphanumerics replaced by "-", as
// oc names it.
func ImageFolder(imageID string) string {
	return nonAlphanumeric.ReplaceAllString(imageID, "-")
}

// hasData says whether dir holds a regular file other than the gather's
// log: something was copied.
func hasData(dir string) bool {
	found := false
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || found {
			return fs.SkipAll
		}
		if d.Type().IsRegular() && p != filepath.Join(dir, gatherLogFile) {
			found = true
			return fs.SkipAll
		}
		return nil
	})
	return found
}
