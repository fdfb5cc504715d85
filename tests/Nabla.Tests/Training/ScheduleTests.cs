namespace Nabla.Tests.Training;

public class ScheduleTests
{
    [Fact]
    public void The_halving_schedule_halves_eta_after_n_epochs_without_improvement_and_stops_after_k_halvings()
    {
        var schedule = new HalvingSchedule(eta: 0.8, patience: 2, maxHalvings: 3);
        // epoch:          0     1     2     3     4     5     6     7     8     9
        double[] accuracy = [0.50, 0.60, 0.55, 0.60, 0.61, 0.61, 0.60, 0.70, 0.69, 0.69];
        double[] expected = [0.80, 0.80, 0.80, 0.40, 0.40, 0.40, 0.20, 0.20, 0.20, 0.10];
        for (int epoch = 0; epoch < accuracy.Length; epoch++)
        {
            schedule.EndOfEpoch(epoch, accuracy[epoch]);
            Assert.Equal(expected[epoch], schedule.Eta, 15);
            Assert.Equal(epoch == accuracy.Length - 1, schedule.Finished);
        }
        Assert.Equal(3, schedule.Halvings);
    }

    [Fact]
    public void Seven_halvings_take_eta_to_one_128th()
    {
        var schedule = new HalvingSchedule(eta: 1.0, patience: 1);
        int epoch = 0;
        schedule.EndOfEpoch(epoch++, 0.9);
        while (!schedule.Finished) schedule.EndOfEpoch(epoch++, 0.5);
        Assert.Equal(1.0 / 128, schedule.Eta);
        Assert.Equal(8, epoch);
    }

    [Fact]
    public void The_step_schedule_multiplies_eta_by_gamma_every_k_epochs()
    {
        var schedule = new StepSchedule(eta: 1.0, gamma: 0.1, every: 3);
        var etas = Enumerable.Range(0, 7).Select(epoch => { schedule.EndOfEpoch(epoch, double.NaN); return schedule.Eta; }).ToArray();
        Assert.Equal([1.0, 1.0, 0.1, 0.1, 0.1, 0.1 * 0.1, 0.1 * 0.1], etas, (a, b) => Math.Abs(a - b) < 1e-15);
        Assert.False(schedule.Finished);
    }

    [Fact]
    public void The_constant_schedule_never_changes_eta()
    {
        var schedule = new ConstantSchedule(3.0);
        for (int epoch = 0; epoch < 5; epoch++) schedule.EndOfEpoch(epoch, 0.1 * (5 - epoch));
        Assert.Equal(3.0, schedule.Eta);
        Assert.False(schedule.Finished);
    }

    [Fact]
    public void Early_stopping_stops_after_patience_epochs_without_improvement_and_remembers_the_best_epoch()
    {
        var stopping = new EarlyStopping(patience: 3);
        double[] accuracy = [0.5, 0.7, 0.65, 0.7, 0.8, 0.79, 0.78, 0.80];
        bool[] improved = [true, true, false, false, true, false, false, false];
        for (int epoch = 0; epoch < improved.Length; epoch++)
        {
            Assert.Equal(improved[epoch], stopping.Observe(epoch, accuracy[epoch]));
            Assert.Equal(epoch == 7, stopping.ShouldStop);
        }
        Assert.Equal(4, stopping.BestEpoch);
        Assert.Equal(0.8, stopping.BestAccuracy);
    }

    [Fact]
    public void Schedule_state_round_trips_so_a_resumed_schedule_continues_the_same()
    {
        var a = new HalvingSchedule(1.0, patience: 2, maxHalvings: 5);
        double[] accuracy = [0.5, 0.4, 0.4, 0.45, 0.3, 0.3, 0.6, 0.2, 0.2, 0.2];
        for (int e = 0; e < 5; e++) a.EndOfEpoch(e, accuracy[e]);
        var b = new HalvingSchedule(1.0, patience: 2, maxHalvings: 5);
        b.RestoreState(a.SaveState());
        for (int e = 5; e < accuracy.Length; e++)
        {
            a.EndOfEpoch(e, accuracy[e]);
            b.EndOfEpoch(e, accuracy[e]);
            Assert.Equal(a.Eta, b.Eta);
            Assert.Equal(a.Halvings, b.Halvings);
        }
    }

    [Fact]
    public void A_halving_schedule_without_validation_accuracy_is_an_error()
    {
        var e = Assert.Throws<NablaException>(() => new HalvingSchedule(1.0, 2).EndOfEpoch(0, double.NaN));
        Assert.Contains("validation accuracy", e.Message);
    }
}
