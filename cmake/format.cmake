# clang-format over every .c and .h file of lib/, daemon/ and tests/, with the repository's
# .clang-format; the targets `format` (rewrite) and `format-check` (fail if anything would change)
# of CMakeLists.txt run it. Globbed here, at run time, so that new files need no reconfigure.
#   cmake -DCLANG_FORMAT=clang-format -DSOURCE_DIR=DIR [-DCHECK=ON] -P cmake/format.cmake
file(GLOB_RECURSE sources LIST_DIRECTORIES false
  ${SOURCE_DIR}/lib/*.[ch] ${SOURCE_DIR}/daemon/*.[ch] ${SOURCE_DIR}/tests/*.[ch])
list(SORT sources)
if(CHECK)
  execute_process(COMMAND ${CLANG_FORMAT} --style=file --dry-run --Werror ${sources}
    RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "format-check: the files above are not formatted; "
      "`cmake --build <build dir> --target format` rewrites them")
  endif()
else()
  execute_process(COMMAND ${CLANG_FORMAT} --style=file -i ${sources} RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "format: clang-format failed")
  endif()
endif()
