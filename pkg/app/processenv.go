package app

import (
	"os"
	"strings"

	"github.com/must-gather/toolkit/pkg/builtin"
)

// serviceAccountNamespace is where a pod's service account names its
// namespace.
const serviceAccountNamespace = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"

// processEnv reads what the process's environment tells the built-ins (the
// libraries read none of it themselves): the gather's own pod, when it runs
// in one (POD_NAME from the downward API, as oc adm must-gather sets it, and
// the service account's namespace), and $MUST_GATHER_IMAGE for debug pods.
func processEnv(getenv func(string) string) builtin.Env {
	env := builtin.Env{DebugImage: getenv("MUST_GATHER_IMAGE")}
	if name := getenv("POD_NAME"); name != "" {
		if b, err := os.ReadFile(serviceAccountNamespace); err == nil {
			env.Pod = &builtin.Pod{Namespace: strings.TrimSpace(string(b)), Name: name}
		}
	}
	return env
}
