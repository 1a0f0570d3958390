package cli

import (
	"fmt"

	"k8s.io/apimachinery/pkg/api/resource"
)

// Size is a flag of a number of bytes, written as a Kubernetes quantity
// (1Gi, 500Mi, 100M, 65536).
type Size struct{ Bytes int64 }

// Set parses a quantity; it must be a whole, non-negative number of bytes.
func (s *Size) Set(v string) error {
	q, err := resource.ParseQuantity(v)
	if err != nil {
		return fmt.Errorf("%q is not a quantity like 1Gi or 500Mi: %w", v, err)
	}
	n, ok := q.AsInt64()
	if !ok || n < 0 {
		return fmt.Errorf("%q is not a whole, non-negative number of bytes", v)
	}
	s.Bytes = n
	return nil
}

// String writes the size as a quantity (binary suffixes when exact).
func (s *Size) String() string {
	return resource.NewQuantity(s.Bytes, resource.BinarySI).String()
}

// Type names the flag's value in usage.
func (s *Size) Type() string { return "quantity" }
