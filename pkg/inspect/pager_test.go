package inspect

import (
	"context"
	"errors"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// A list page the server never answers ends at --page-timeout, not with
// the step: the types after it are still listed.
func TestPagerPageTimeout(t *testing.T) {
	t.Parallel()
	in := &inspector{cfg: Config{PageSize: DefaultPageSize, PageTimeout: 100 * time.Millisecond}}
	start := time.Now()
	err := in.pager(func(ctx context.Context, _ metav1.ListOptions) (runtime.Object, error) {
		<-ctx.Done() // a hung list
		return nil, ctx.Err()
	}).EachListItem(t.Context(), metav1.ListOptions{}, func(runtime.Object) error { return nil })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error = %v, want the page's deadline", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the hung page took %s", took)
	}
}
