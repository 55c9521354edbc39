/* Open files: the objects behind file descriptors, and device switch entries. */
#pragma once
#include "lib/types.h"

struct pipe;
struct inode;
struct stat;

struct file {
	enum { FD_NONE, FD_PIPE, FD_INODE, FD_DEVICE } type;
	int ref; /* reference count */
	char readable;
	char writable;
	struct pipe *pipe; /* FD_PIPE */
	struct inode *ip;  /* FD_INODE and FD_DEVICE */
	uint off;          /* FD_INODE */
	short major;       /* FD_DEVICE */
};

/* Map major device number to device functions. */
struct devsw {
	int (*read)(int user_dst, uint64 dst, int n);
	int (*write)(int user_src, uint64 src, int n);
};
extern struct devsw devsw[];
#define CONSOLE 1

struct file *filealloc(void);
void fileclose(struct file *f);
struct file *filedup(struct file *f);
int filestat(struct file *f, uint64 addr);
int fileread(struct file *f, uint64 addr, int n);
int filewrite(struct file *f, uint64 addr, int n);
/* fsync(): 0 once the file's data and size are on disk; -1 for a pipe or device, or if
 * writing back its mapped pages failed. */
int filesync(struct file *f);
int pipealloc(struct file **f0, struct file **f1);
