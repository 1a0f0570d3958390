package inspect

import "sort"

func sortResources(rs []resource) {
	sort.Slice(rs, func(i, j int) bool {
		if rs[i].gvr.Group != rs[j].gvr.Group {
			return rs[i].gvr.Group < rs[j].gvr.Group
		}
		return rs[i].gvr.Resource < rs[j].gvr.Resource
	})
}
