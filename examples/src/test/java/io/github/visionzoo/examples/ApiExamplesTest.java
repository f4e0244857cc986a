package io.github.visionzoo.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.visionzoo.examples.api.ModelSpecExample;
import io.github.visionzoo.zoo.Zoo;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import org.junit.jupiter.api.Test;

class ApiExamplesTest {
    @Test
    void modelSpecExampleRoundTripsRegistersAndBuilds() {
        PrintStream old = System.out;
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buffer, true));
        try {
            ModelSpecExample.main(new String[0]);
        } finally {
            System.setOut(old);
        }
        assertThat(buffer.toString()).contains("\"family\" : \"resnet\"", "Total params", "output shape [1, 5]");
        assertThat(Zoo.names()).contains("my_resnet");
    }
}
