package dev.coral.perf.stress;

/** One stress scenario: runs at a scale and reports figures beside same-run baselines. */
public interface Scenario {
    /** The name {@code --scenario} takes. */
    String id();

    ScenarioReport run(Context ctx) throws Exception;
}
