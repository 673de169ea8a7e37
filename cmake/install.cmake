# What `cmake --install` puts where (GNUInstallDirs). The prefix may still change at install
# time (--prefix), so the unit, whose ExecStart= names the program, is written then.

install(TARGETS esatlsd RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR})

# Files an admin edits are installed only where none is yet: a second install keeps them.
install(CODE "
  foreach(pair \"conf/esatlsd.yaml;${CMAKE_INSTALL_SYSCONFDIR}/esatlsd/esatlsd.yaml\"
               \"conf/esatlsd.logrotate;${CMAKE_INSTALL_SYSCONFDIR}/logrotate.d/esatlsd\")
    list(GET pair 0 from)
    list(GET pair 1 to)
    if(NOT IS_ABSOLUTE \"\${to}\")
      set(to \"\${CMAKE_INSTALL_PREFIX}/\${to}\")
    endif()
    if(EXISTS \"\$ENV{DESTDIR}\${to}\")
      message(STATUS \"Keeping: \$ENV{DESTDIR}\${to}\")
    else()
      get_filename_component(dir \"\${to}\" DIRECTORY)
      get_filename_component(name \"\${to}\" NAME)
      file(INSTALL \"${CMAKE_CURRENT_SOURCE_DIR}/\${from}\" DESTINATION \"\${dir}\"
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ RENAME \"\${name}\")
    endif()
  endforeach()
")

install(CODE "
  set(ESATLSD_SBINDIR \"${CMAKE_INSTALL_SBINDIR}\")
  if(NOT IS_ABSOLUTE \"\${ESATLSD_SBINDIR}\")
    set(ESATLSD_SBINDIR \"\${CMAKE_INSTALL_PREFIX}/\${ESATLSD_SBINDIR}\")
  endif()
  set(ESATLSD_CONFIG_FILE \"${ESATLSD_CONFIG_FILE}\")
  configure_file(\"${CMAKE_CURRENT_SOURCE_DIR}/systemd/esatlsd.service.in\"
    \"${CMAKE_CURRENT_BINARY_DIR}/esatlsd.service\" @ONLY)
")
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/esatlsd.service DESTINATION ${ESATLSD_SYSTEMD_UNITDIR})

install(PROGRAMS conf/hooks/tls-alert-mail DESTINATION ${CMAKE_INSTALL_LIBEXECDIR}/esatlsd)
install(FILES man/esatlsd.8 DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
install(FILES man/esatlsd.yaml.5 DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
# Examples an admin copies from: the alert receivers' configurations, the Prometheus rules and
# the Grafana dashboard.
install(DIRECTORY conf/webhooks DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
install(FILES conf/prometheus/esatlsd-rules.yaml DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples/prometheus)
install(FILES conf/grafana/esatlsd-dashboard.json DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples/grafana)
