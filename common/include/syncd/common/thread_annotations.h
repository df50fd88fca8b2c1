// Clang's thread-safety attributes (-Wthread-safety), as leveldb's
// port/thread_annotations.h spells them: locked state says in its type which
// mutex guards it, and clang checks every access. On other compilers the
// macros expand to nothing. Header only; any thread.
#ifndef SYNCD_COMMON_THREAD_ANNOTATIONS_H_
#define SYNCD_COMMON_THREAD_ANNOTATIONS_H_

#if defined(__clang__)
#define SYNCD_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define SYNCD_THREAD_ANNOTATION(x)
#endif

#define CAPABILITY(x) SYNCD_THREAD_ANNOTATION(capability(x))
#define SCOPED_CAPABILITY SYNCD_THREAD_ANNOTATION(scoped_lockable)
#define GUARDED_BY(x) SYNCD_THREAD_ANNOTATION(guarded_by(x))
#define PT_GUARDED_BY(x) SYNCD_THREAD_ANNOTATION(pt_guarded_by(x))
#define ACQUIRED_AFTER(...) SYNCD_THREAD_ANNOTATION(acquired_after(__VA_ARGS__))
#define ACQUIRED_BEFORE(...) SYNCD_THREAD_ANNOTATION(acquired_before(__VA_ARGS__))
#define EXCLUSIVE_LOCKS_REQUIRED(...) SYNCD_THREAD_ANNOTATION(exclusive_locks_required(__VA_ARGS__))
#define SHARED_LOCKS_REQUIRED(...) SYNCD_THREAD_ANNOTATION(shared_locks_required(__VA_ARGS__))
#define LOCKS_EXCLUDED(...) SYNCD_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define EXCLUSIVE_LOCK_FUNCTION(...) SYNCD_THREAD_ANNOTATION(exclusive_lock_function(__VA_ARGS__))
#define UNLOCK_FUNCTION(...) SYNCD_THREAD_ANNOTATION(unlock_function(__VA_ARGS__))
#define ASSERT_EXCLUSIVE_LOCK(...) SYNCD_THREAD_ANNOTATION(assert_exclusive_lock(__VA_ARGS__))
#define NO_THREAD_SAFETY_ANALYSIS SYNCD_THREAD_ANNOTATION(no_thread_safety_analysis)

#endif  // SYNCD_COMMON_THREAD_ANNOTATIONS_H_
