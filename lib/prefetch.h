/* A hint that the cache line holding *p will be read soon: the processor starts loading it while
 * other work goes on. Nothing observable changes; compilers without the builtin ignore it. */
#ifndef ESATLS_PREFETCH_H
#define ESATLS_PREFETCH_H

#if defined(__GNUC__)
#define PREFETCH(p) __builtin_prefetch(p)
#else
#define PREFETCH(p) ((void)(p))
#endif

#endif
