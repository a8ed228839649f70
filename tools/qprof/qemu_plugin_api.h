/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The part of QEMU's TCG plugin API that insnprof.c uses, declared for
 * this project: the types, constants and functions of plugin API
 * version 1, as QEMU 7.2 (Debian 12's qemu-system-x86) exports them to a
 * plugin.  Only what insnprof.c calls is here; the values and layouts
 * below are those of QEMU 7.2's ABI and must not change:
 *
 *  - a plugin exports int qemu_plugin_version and qemu_plugin_install();
 *    QEMU 7.2 implements level 1 and refuses a plugin that asks for more
 *    ("plugin requires API version 2, but this QEMU supports only up to
 *    version 1");
 *  - qemu_info_t is laid out as QEMU fills it in;
 *  - the enums are passed as int: QEMU_PLUGIN_CB_NO_REGS is 0,
 *    QEMU_PLUGIN_INLINE_ADD_U64 is 0.
 *
 * The functions are defined by the QEMU binary that loads the plugin.
 */
#ifndef QPROF_QEMU_PLUGIN_API_H
#define QPROF_QEMU_PLUGIN_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What QEMU looks up in the plugin with dlsym(). */
#define QEMU_PLUGIN_EXPORT __attribute__((visibility("default")))

/* The API level this plugin is built for: QEMU 7.2's. */
#define QEMU_PLUGIN_VERSION 1

/* Names a loaded plugin in every call that registers a callback. */
typedef uint64_t qemu_plugin_id_t;

/* Given to qemu_plugin_install(); valid during that call only. */
typedef struct qemu_info_t {
	const char *target_name;	/* guest architecture, e.g. "x86_64" */
	struct {
		int min;		/* oldest API level QEMU accepts */
		int cur;		/* API level QEMU implements */
	} version;
	bool system_emulation;		/* qemu-system-*, not user mode */
	union {
		struct {
			int smp_vcpus;	/* vCPUs at boot */
			int max_vcpus;
		} system;		/* valid when system_emulation */
	};
} qemu_info_t;

/* A translation block and one of its instructions, seen while the block
 * is translated: valid only inside the translation callback. */
struct qemu_plugin_tb;
struct qemu_plugin_insn;

/* Whether an execution callback reads or writes the guest's registers. */
enum qemu_plugin_cb_flags {
	QEMU_PLUGIN_CB_NO_REGS = 0,
};

/* Operations that QEMU inlines in the translated code, without a call. */
enum qemu_plugin_op {
	QEMU_PLUGIN_INLINE_ADD_U64 = 0,	/* *(uint64_t *)ptr += imm */
};

typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index,
					    void *userdata);
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id,
					       struct qemu_plugin_tb *tb);

/* Defined by the plugin; QEMU checks the version, then calls install. */
extern QEMU_PLUGIN_EXPORT int qemu_plugin_version;
QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
					   const qemu_info_t *info,
					   int argc, char **argv);

/* cb runs for every translation block QEMU translates. */
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
					   qemu_plugin_vcpu_tb_trans_cb_t cb);
/* op on ptr with imm each time the block is entered. */
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb,
					      enum qemu_plugin_op op,
					      void *ptr, uint64_t imm);
/* cb(vcpu, userdata) each time the instruction is executed. */
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn,
					    qemu_plugin_vcpu_udata_cb_t cb,
					    enum qemu_plugin_cb_flags flags,
					    void *userdata);
/* cb(id, userdata) when QEMU exits. */
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id,
				    qemu_plugin_udata_cb_t cb, void *userdata);

size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb,
						 size_t idx);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);

#endif
