// SPDX-License-Identifier: GPL-2.0-or-later
/* `kvmini define`, `undefine` and `dumpxml`: definitions in <config>/domains/N.xml, parsed and
 * written back by the domain XML code (tools/domain.h). A definition is stored in libvirt's layout
 * (domain_format), atomically, with the uuid kept across redefinitions as virsh does; a file that
 * does not parse changes nothing. */
#include "tools/virsh.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/domain.h"
#include "vmm/log.h"

static void print_warning(void *opaque, const char *msg)
{
	kv_log("warning: %s", msg);
}

int virsh_parse(const char *path, struct domain *docs[2], int warnings)
{
	char err[512] = "";
	docs[0] = docs[1] = NULL;
	int ret = domain_parse_file(path, docs, err, sizeof(err), warnings ? print_warning : NULL, NULL);
	if (ret) {
		kv_log("%s: %s", path, err[0] ? err : strerror(-ret));
		return ret;
	}
	const char *why = NULL;
	for (int i = 0; i < 2; i++) {
		if (docs[i] && kv_name_check(docs[i]->name, &why)) {
			kv_log("%s: domain name '%s': %s", path, docs[i]->name ? docs[i]->name : "", why);
			virsh_free_docs(docs);
			return -EINVAL;
		}
	}
	return 0;
}

void virsh_free_docs(struct domain *docs[2])
{
	for (int i = 0; i < 2; i++) {
		if (docs[i])
			domain_free(docs[i]);
		docs[i] = NULL;
	}
}

/* Another definition (not called name) with this uuid: its name into other. */
static int uuid_taken(const char *domdir, const char *name, const uint8_t uuid[16], char *other, size_t len)
{
	DIR *dir = opendir(domdir);
	if (!dir)
		return 0;
	int found = 0;
	for (struct dirent *e; !found && (e = readdir(dir));) {
		size_t l = strlen(e->d_name);
		char path[VIRSH_PATH];
		if (l < 5 || strcmp(e->d_name + l - 4, ".xml") || e->d_name[0] == '.' ||
		    (l - 4 == strlen(name) && !strncmp(e->d_name, name, l - 4)) ||
		    snprintf(path, sizeof(path), "%s/%s", domdir, e->d_name) >= (int)sizeof(path))
			continue;
		struct domain *docs[2] = { NULL, NULL };
		char err[256];
		if (domain_parse_file(path, docs, err, sizeof(err), NULL, NULL))
			continue;
		struct domain *d = docs[1] ? docs[1] : docs[0];
		if (d->has_uuid && !memcmp(d->uuid, uuid, 16)) {
			snprintf(other, len, "%s", d->name);
			found = 1;
		}
		virsh_free_docs(docs);
	}
	closedir(dir);
	return found;
}

/* The uuid rules of a (re)definition: an existing domain of that name keeps its uuid (a different
 * one is an error), and no other domain may have it. 0 or -EEXIST after the message. */
static int keep_uuid(const struct vdom *v, struct domain *d, const char *file)
{
	const char *old_path = v->defined ? v->def_path : v->live ? v->live_xml : NULL;
	struct domain *old[2] = { NULL, NULL };
	char err[256], u[37];
	if (old_path && access(old_path, F_OK) == 0 && domain_parse_file(old_path, old, err, sizeof(err), NULL, NULL) == 0) {
		struct domain *o = old[1] ? old[1] : old[0];
		if (o->has_uuid && d->has_uuid && memcmp(o->uuid, d->uuid, 16)) {
			virsh_uuid_str(o->uuid, u);
			kv_log("%s: domain '%s' already exists with uuid %s", file, d->name, u);
			virsh_free_docs(old);
			return -EEXIST;
		}
		if (o->has_uuid && !d->has_uuid) {
			memcpy(d->uuid, o->uuid, 16);
			d->has_uuid = 1;
		}
		virsh_free_docs(old);
	}
	char other[KV_NAME_MAX + 1];
	if (d->has_uuid && uuid_taken(v->domdir, d->name, d->uuid, other, sizeof(other))) {
		virsh_uuid_str(d->uuid, u);
		kv_log("%s: domain '%s' already exists with uuid %s", file, other, u);
		return -EEXIST;
	}
	return 0;
}

int virsh_file_arg(int argc, char **argv, struct domain *docs[2])
{
	const char *file;
	int r = virsh_name_arg(argc, argv, &file);
	if (r)
		return r == 1 ? 0 : r;
	return virsh_parse(file, docs, 1) ? 1 : -1;
}

int virsh_define(int argc, char **argv)
{
	struct domain *docs[2];
	int r = virsh_file_arg(argc, argv, docs);
	if (r >= 0)
		return r;
	const char *file = argv[argc - 1];
	/* virt-install --print-xml: the second document is what the domain is after installing */
	struct domain *d = docs[1] ? docs[1] : docs[0];
	struct vdom v;
	char *xml = NULL;
	r = vdom_init(&v, d->name);
	if (!r)
		r = keep_uuid(&v, d, file);
	if (!r && !(xml = domain_format(d)))
		kv_err(r = -ENOMEM, "%s", file);
	if (!r && (r = text_write_atomic(v.def_path, xml, strlen(xml))))
		kv_err(r, "%s", v.def_path);
	if (!r)
		printf("Domain '%s' defined from %s\n\n", d->name, file);
	free(xml);
	virsh_free_docs(docs);
	return r ? 1 : 0;
}

int virsh_undefine(int argc, char **argv)
{
	struct vdom v;
	int r = virsh_domain_arg(argc, argv, &v, 0);
	if (r >= 0)
		return r;
	const char *name = v.name;
	if (!v.defined) {
		kv_log("%s: cannot undefine a transient domain", name);
		return 1;
	}
	/* a running domain goes on: its definition lives on in <rundir>/N.xml, it is transient now */
	if (unlink(v.def_path) < 0 && errno != ENOENT) {
		kv_err(-errno, "%s", v.def_path);
		return 1;
	}
	printf("Domain '%s' has been undefined\n\n", name);
	return 0;
}

int virsh_dumpxml(int argc, char **argv)
{
	struct vdom v;
	int r = virsh_domain_arg(argc, argv, &v, 0);
	if (r >= 0)
		return r;
	/* live: what it runs (a later define changes only the stored definition) */
	const char *path = vdom_xml(&v);
	if (!path)
		return 1;
	char *xml;
	size_t len;
	if ((r = text_read_file(path, 16u << 20, &xml, &len))) {
		kv_err(r, "%s", path);
		return 1;
	}
	fwrite(xml, 1, len, stdout);
	if (len && xml[len - 1] != '\n')
		putchar('\n');
	putchar('\n');
	free(xml);
	return 0;
}
