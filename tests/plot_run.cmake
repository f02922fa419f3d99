# launch/plot-run.py (training curves as a PNG) on metrics logs in the trainer's schema.
# Debian's interpreter, which has Debian's python3-matplotlib (launch/install-dependencies.sh).
add_test(NAME plot_run COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/plot_run_test.py)
set_tests_properties(plot_run PROPERTIES LABELS "unit;plot" TIMEOUT 300)
