package dev.unroll;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import dev.unroll.job.JobConfig;
import dev.unroll.record.TrainingSpec;
import dev.unroll.stream.ModelLayout;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import java.util.function.Supplier;

/**
 * The packages depend one way: model <- events <- format <- job <- record <- (stream | kafka) <- launch <- cli.
 * The numeric core ({@code model}) knows no file or record format and no other package of Unroll;
 * {@code format} reads and writes networks, sequences, events and predictions, knowing only the model and
 * {@code events} (how a key's events are cut into sequences, plain Java the offline commands share). Records are the leaf that the Flink operators and the Kafka codecs share;
 * launching (MiniCluster, pipeline start and follow, the cluster entry point) sits above both.
 */
class ArchitectureTest {
    private static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.unroll");

    @Test
    void noPackageCycles() {
        slices().matching("dev.unroll.(*)..").should().beFreeOfCycles().check(MAIN);
    }

    @Test
    void layersDependOneWay() {
        layeredArchitecture().consideringOnlyDependenciesInAnyPackage("dev.unroll..")
                .layer("cli").definedBy("dev.unroll.cli..")
                .layer("tool").definedBy("dev.unroll.tool..")
                .layer("report").definedBy("dev.unroll.report..")
                .layer("launch").definedBy("dev.unroll.launch..")
                .layer("stream").definedBy("dev.unroll.stream..")
                .layer("kafka").definedBy("dev.unroll.kafka..")
                .layer("record").definedBy("dev.unroll.record..")
                .layer("task").definedBy("dev.unroll.task..")
                .layer("job").definedBy("dev.unroll.job..")
                .layer("io").definedBy("dev.unroll.io..")
                .layer("format").definedBy("dev.unroll.format..")
                .layer("events").definedBy("dev.unroll.events..")
                .layer("model").definedBy("dev.unroll.model..")
                .whereLayer("cli").mayNotBeAccessedByAnyLayer()
                .whereLayer("tool").mayOnlyBeAccessedByLayers("cli")
                .whereLayer("report").mayOnlyBeAccessedByLayers("cli")
                .whereLayer("launch").mayOnlyBeAccessedByLayers("cli", "tool")
                .whereLayer("stream").mayOnlyBeAccessedByLayers("launch", "cli")
                .whereLayer("kafka").mayOnlyBeAccessedByLayers("launch", "report", "tool")
                .whereLayer("record").mayOnlyBeAccessedByLayers("stream", "kafka", "launch", "report", "cli")
                .whereLayer("task").mayOnlyBeAccessedByLayers("report", "tool", "cli")
                .whereLayer("format").mayOnlyAccessLayers("events", "model")
                .whereLayer("events").mayOnlyAccessLayers("model")
                .whereLayer("model").mayNotAccessAnyLayer()
                .check(MAIN);
    }

    /** Kafka behind one door: the commands start, follow and feed jobs through launch, never Kafka or Flink themselves. */
    @Test
    void theCommandsReachKafkaAndFlinkOnlyThroughLaunch() {
        noClasses().that().resideInAPackage("dev.unroll.cli..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.unroll.kafka..", "org.apache.kafka..",
                        "org.apache.flink..")
                .check(MAIN);
    }

    @Test
    void theNumericCoreImportsNoFlinkOrKafka() {
        noClasses().that().resideInAPackage("dev.unroll.model..")
                .should().dependOnClassesThat().resideInAnyPackage("org.apache.flink..", "org.apache.kafka..")
                .check(MAIN);
    }

    @Test
    void theRuleThatCutsEventsIsPlainJavaTheOfflineCommandsShare() {
        noClasses().that().resideInAPackage("dev.unroll.events..")
                .should().dependOnClassesThat().resideInAnyPackage("org.apache.flink..", "org.apache.kafka..",
                        "com.fasterxml..")
                .check(MAIN);
    }

    @Test
    void theNumericCoreParsesNoFormat() {
        noClasses().that().resideInAPackage("dev.unroll.model..")
                .should().dependOnClassesThat().resideInAnyPackage("com.fasterxml..", "dev.unroll.format..")
                .check(MAIN);
    }

    /**
     * One model or a model per key is read in one place, where {@link ModelLayout#of} chooses the
     * layout (and where the setting lives, and the file formats); the job graph, launching and the
     * commands ask the chosen layout, so that what differs between the modes stays in its two classes.
     */
    @Test
    void theModelsSettingIsReadOnlyWhereTheLayoutIsChosen() {
        noClasses().that().doNotBelongToAnyOf(ModelLayout.class, JobConfig.class, TrainingSpec.class)
                .and().resideOutsideOfPackage("dev.unroll.format..")
                .should().callMethod(TrainingSpec.class, "isPerKey")
                .orShould().callMethod(JobConfig.class, "perKey")
                .check(MAIN);
    }

    /** The commands map the chosen layout to their own two implementations in one place, not command by command. */
    @Test
    void theCommandsMapTheLayoutInOnePlace() {
        noClasses().that().doNotHaveFullyQualifiedName("dev.unroll.cli.ModelCommands")
                .should().callMethod(ModelLayout.class, "choose", Supplier.class, Supplier.class)
                .check(MAIN);
    }
}
