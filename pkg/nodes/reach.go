package nodes

import (
	"context"
	"fmt"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/must-gather/toolkit/pkg/builtin"
	"github.com/must-gather/toolkit/pkg/version"
)

// Reach prepares debug pods for one collector run. The image is the one
// given when there is one; in a pod (self), the gather's own image (and the
// pods live in its namespace, owned by its pod); otherwise the image this
// binary was built for. The returned cleanup deletes what the run made. On error, collectors
// use the node log proxy for every node.
func Reach(ctx context.Context, cfg *rest.Config, cs kubernetes.Interface, image string, self *builtin.Pod, budget time.Duration, logf func(string, ...any)) (*DebugPods, func(), error) {
	d := &DebugPods{CS: cs, Config: cfg, Image: image, Budget: budget, Logf: logf}
	if self != nil {
		own, owner, err := OwnImage(ctx, cs, self.Namespace, self.Name)
		if err != nil {
			return nil, func() {}, fmt.Errorf("%w: %w", ErrCannotRun, err)
		}
		d.Namespace, d.Owner = self.Namespace, owner
		if d.Image == "" {
			d.Image = own
		}
	}
	if d.Image == "" {
		d.Image = version.Get().Image
	}
	if d.Image == "" {
		return nil, func() {}, fmt.Errorf("%w: no image for debug pods (--image)", ErrCannotRun)
	}
	cleanup, err := d.Prepare(ctx)
	if err != nil {
		return nil, cleanup, err
	}
	return d, cleanup, nil
}
