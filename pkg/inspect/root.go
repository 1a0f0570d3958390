package inspect

import (
	"context"
	"errors"
	"fmt"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/must-gather/toolkit/pkg/builtin"
)

// aggregatedDiscovery asks for the aggregated discovery documents.
const aggregatedDiscovery = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"

// WriteRootFiles writes the files at the root of an inspect result: the
// timestamp (start and end), the aggregated discovery documents and
// event-filter.html. A gather run writes them once for the whole run; an
// inspect run alone writes them itself.
func WriteRootFiles(ctx context.Context, env *builtin.Env, start, end time.Time) error {
	return errors.Join(
		env.Sink.WriteMeta(timestampFile, []byte(start.Round(0).String()+"\n"+end.Round(0).String()+"\n")),
		WriteDiscovery(ctx, env),
		WriteEventFilter(env.Sink),
	)
}

// WriteDiscovery writes the server's aggregated discovery of /api and
// /apis as YAML.
func WriteDiscovery(ctx context.Context, env *builtin.Env) error {
	disc, err := env.Cluster.Discovery()
	if err != nil {
		return err
	}
	var errs []error
	for path, file := range map[string]string{"/api": discoveryAPIFile, "/apis": discoveryAPIsFile} {
		raw, err := disc.RESTClient().Get().AbsPath(path).SetHeader("Accept", aggregatedDiscovery).Do(ctx).Raw()
		if err != nil {
			errs = append(errs, fmt.Errorf("aggregated discovery of %s: %w", path, err))
			continue
		}
		y, err := yaml.JSONToYAML(raw)
		if err != nil {
			errs = append(errs, fmt.Errorf("aggregated discovery of %s: %w", path, err))
			continue
		}
		errs = append(errs, env.Sink.WriteFile(file, append([]byte("---\n"), y...)))
	}
	return errors.Join(errs...)
}
