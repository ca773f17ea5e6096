# The sharded sweep on a real Slurm cluster (issue 10): slurm-cluster.sh starts a single-node
# cluster on loopback for the test's duration, the test runs 'locks/*' whole and as a job array
# of shards and wants the merged shards to equal the whole. Included where the `faultline` target
# is defined, within if(FAULTLINE_BUILD_TESTS). Skipped (77) where Slurm or munge is not installed;
# scripts/install-deps.sh --servers installs them. It needs root, as slurmd does.
add_test(NAME faultline_slurm_sweep
  COMMAND ${PROJECT_SOURCE_DIR}/scripts/slurm-cluster.sh run --
          ${PROJECT_SOURCE_DIR}/tests/scenarios/cli/slurm_sweep_test.sh $<TARGET_FILE:faultline>)
set_tests_properties(faultline_slurm_sweep PROPERTIES LABELS "sim;slurm" TIMEOUT 600
  SKIP_RETURN_CODE 77)
