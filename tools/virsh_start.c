// SPDX-License-Identifier: GPL-2.0-or-later
/* `kvmini start`, `create` and `dominfo`: a definition becomes `kvmini run` arguments
 * (domain_argv, volumes through the storage pools) and runs detached, as CONTRACT8 says:
 * /proc/self/exe run <args> --definition FILE --daemonize, whose parent returns once the VM runs
 * (or prints the child's one error line). dominfo reads the definition the domain runs with. */
#include "tools/virsh.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tools/domain.h"
#include "tools/pool.h"
#include "vmm/log.h"

/* Runs the VMM for d detached with definition (the XML file it copies to <rundir>/N.xml). Its
 * parent's messages go to our stderr. 0 once it runs, else -errno or 1 (its exit status said no). */
static int run_detached(const struct domain *d, const char *definition)
{
	char err[512] = "";
	char **args = NULL;
	int n = domain_argv(d, &args, pool_vol_resolve, NULL, err, sizeof(err));
	if (n < 0) {
		size_t nl = strlen(d->name);
		/* domain_argv's reasons may already start with the name */
		if (!strncmp(err, d->name, nl) && err[nl] == ':')
			kv_log("%s", err);
		else
			kv_log("%s: %s", d->name, err[0] ? err : strerror(-n));
		return n;
	}
	char **av = calloc((size_t)n + 6, sizeof(*av));
	if (!av) {
		domain_argv_free(args);
		return -ENOMEM;
	}
	int k = 0;
	av[k++] = "kvmini";
	av[k++] = "run";
	for (int i = 0; i < n; i++)
		av[k++] = args[i];
	av[k++] = "--definition";
	av[k++] = (char *)definition;
	av[k++] = "--daemonize";
	av[k] = NULL;
	int ret = virsh_run_vmm(av);
	free(av);
	domain_argv_free(args);
	if (ret < 0)
		kv_err(ret, "%s: cannot run its VMM", d->name);
	return ret;
}

int virsh_run_vmm(char *const *av)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (null >= 0)
			dup2(null, 0);
		execv("/proc/self/exe", av);
		kv_err(-errno, "/proc/self/exe");
		_exit(127);
	}
	int ret = pid < 0 ? -errno : 0, st = 0;
	while (pid > 0 && waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			ret = -errno;
			break;
		}
	if (ret)
		return ret;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}

int virsh_start(int argc, char **argv)
{
	struct vdom v;
	int r = virsh_domain_arg(argc, argv, &v, 0);
	if (r >= 0)
		return r;
	const char *name = v.name;
	if (v.live) {
		kv_log("%s: domain is already active", name);
		return 1;
	}
	struct domain *docs[2];
	if (virsh_parse(v.def_path, docs, 0))
		return 1;
	r = run_detached(docs[1] ? docs[1] : docs[0], v.def_path);
	virsh_free_docs(docs);
	if (r)
		return 1;
	printf("Domain '%s' started\n\n", name);
	return 0;
}

int virsh_create(int argc, char **argv)
{
	struct domain *docs[2];
	int r = virsh_file_arg(argc, argv, docs);
	if (r >= 0)
		return r;
	const char *file = argv[argc - 1];
	/* virt-install --print-xml: the first document is the install pass, the one to boot now */
	struct domain *d = docs[0];
	struct vdom v;
	char *xml = NULL;
	char tmp[VIRSH_PATH + 32] = "";
	int fd = -1;
	if ((r = vdom_init(&v, d->name)))
		goto out;
	if (v.live) {
		kv_log("%s: domain '%s' is already active", file, d->name);
		r = -EEXIST;
		goto out;
	}
	/* the VMM copies this single document to <rundir>/N.xml, which is all a transient domain has */
	if (!(xml = domain_format(d))) {
		kv_err(r = -ENOMEM, "%s", file);
		goto out;
	}
	snprintf(tmp, sizeof(tmp), "%s/.%s.create.XXXXXX", v.rundir, d->name);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		kv_err(r = -errno, "%s", tmp);
		tmp[0] = 0;
		goto out;
	}
	close(fd);
	if ((r = text_write_atomic(tmp, xml, strlen(xml)))) {
		kv_err(r, "%s", tmp);
		goto out;
	}
	r = run_detached(d, tmp);
	if (!r)
		printf("Domain '%s' created from %s\n\n", d->name, file);
out:
	if (tmp[0])
		unlink(tmp);
	free(xml);
	virsh_free_docs(docs);
	return r ? 1 : 0;
}

/* The VMM's CPU time (user + system) in seconds, from /proc; -1 if unknown. */
static double cpu_time(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	/* fields after "(comm)": state is the 3rd, utime the 14th, stime the 15th */
	char *p = strrchr(buf, ')');
	unsigned long long ut, stime;
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &stime) != 2)
		return -1;
	long hz = sysconf(_SC_CLK_TCK);
	return hz > 0 ? (double)(ut + stime) / (double)hz : -1;
}

int virsh_dominfo(int argc, char **argv)
{
	struct vdom v;
	int r = virsh_domain_arg(argc, argv, &v, 0);
	if (r >= 0)
		return r;
	const char *name = v.name;
	const char *path = vdom_xml(&v);
	if (!path)
		return 1;
	struct domain *docs[2];
	if (virsh_parse(path, docs, 0))
		return 1;
	const struct domain *d = docs[1] ? docs[1] : docs[0];
	char uuid[37] = "";
	if (d->has_uuid)
		virsh_uuid_str(d->uuid, uuid);
	const char *state = vdom_state(&v);
	if (v.live && v.pid)
		printf("%-15s %d\n", "Id:", (int)v.pid);
	else
		printf("%-15s -\n", "Id:");
	printf("%-15s %s\n", "Name:", name);
	printf("%-15s %s\n", "UUID:", uuid);
	printf("%-15s hvm\n", "OS Type:");
	printf("%-15s %s\n", "State:", state);
	printf("%-15s %u\n", "CPU(s):", d->vcpus);
	double t = v.live && v.pid ? cpu_time(v.pid) : -1;
	if (t >= 0)
		printf("%-15s %.1fs\n", "CPU time:", t);
	printf("%-15s %llu KiB\n", "Max memory:", (unsigned long long)(d->memory >> 10));
	printf("%-15s %llu KiB\n", "Used memory:",
	       (unsigned long long)((d->current_memory ? d->current_memory : d->memory) >> 10));
	printf("%-15s %s\n", "Persistent:", v.defined ? "yes" : "no");
	printf("%-15s disable\n", "Autostart:");
	printf("%-15s no\n", "Managed save:");
	printf("%-15s none\n", "Security model:");
	printf("%-15s 0\n\n", "Security DOI:");
	virsh_free_docs(docs);
	return 0;
}
